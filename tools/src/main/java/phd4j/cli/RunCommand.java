package phd4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import phd4j.GenerationParams;
import phd4j.GenerationResult;
import phd4j.Model;
import phd4j.Session;
import phd4j.sample.SamplerParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code phd run}: generates text from a prompt; the prompt and the text on stdout as it is made (as llama.cpp does), timings on stderr. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Generate text from a prompt.")
final class RunCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin PhdOptions phdOptions;
    @Mixin SamplerOptions samplerOptions;

    @Option(names = {"-p", "--prompt"}, paramLabel = "PROMPT", description = "the prompt")
    String prompt;

    @Option(names = {"-f", "--file"}, paramLabel = "PROMPT_FILE", description = "read the prompt from a file (UTF-8)")
    Path promptFile;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "-1",
            description = "tokens to generate; -1: until end of text, going on past the context in constant memory; 0: until the context is full (default: ${DEFAULT-VALUE})")
    int nPredict;

    @Mixin ContextOption contextOption;

    @Option(names = "--keep", paramLabel = "N",
            description = "when the context is full, keep the first N tokens and overwrite the oldest others (default: 4, at most CTX-1)")
    Integer keepOption;

    @Option(names = "--no-display-prompt", description = "print only the generated text, not the prompt before it")
    boolean noDisplayPrompt;

    @Override
    public Integer call() {
        String text = promptText();
        if (nPredict < -1) throw common.bad("-n must be -1 or >= 0, got " + nPredict);
        phd4j.phd.PhdConfig phd = phdOptions.config();
        SamplerParams sampler = samplerOptions.params(common);
        PrintWriter err = common.spec.commandLine().getErr();
        PrintWriter out = common.spec.commandLine().getOut();

        long t0 = System.nanoTime();
        try (Model model = Model.load(common.model(), common.loadOptions(phd))) {
            Activity.set("preparing the prompt for " + model.file().path());
            long loadNanos = System.nanoTime() - t0;
            PhdOptions.announce(model, err);
            int ctx = contextOption.resolve(model);
            int keep = keepOption != null ? keepOption : Math.min(Session.DEFAULT_KEEP, ctx - 1);
            if (keep < 0 || keep >= ctx) throw common.bad("--keep must be in 0.." + (ctx - 1) + " for a context of " + ctx + ", got " + keep);
            int[] tokens = model.tokenizer().encode(text, true, false);
            if (tokens.length > ctx) {
                throw new Main.UserException("the prompt is " + tokens.length + " tokens, longer than the context of " + ctx + " (-c)");
            }
            GenerationParams params = new GenerationParams(nPredict, sampler,
                    java.util.List.of(), java.util.List.of(), samplerOptions.ignoreEos);
            GenerationResult r;
            try (Session session = model.newSession(ctx, keep)) {
                // only now: every refusal (context, --keep, memory) comes before anything on stdout
                if (!noDisplayPrompt) {
                    out.print(text);
                    out.flush();
                }
                Activity.set("generating with " + model.file().path());
                r = session.generate(tokens, params, (token, piece) -> {
                    out.print(piece);
                    out.flush();
                    return true;
                });
            }
            out.println();
            out.flush();
            if (r.promptTokens() + r.generatedTokens() > ctx) {
                err.println("note: more tokens than the context of " + ctx + ": the oldest (but the first " + keep + ") were dropped from the KV cache");
            }
            // with the timings, after the text: printed before, it lands in the middle of it on a terminal
            if (samplerOptions.randomSeed()) err.println("seed:       " + samplerOptions.seed() + " (--seed repeats this run)");
            err.printf("load:       %8.1f ms%n", loadNanos / 1e6);
            err.printf("prompt:     %5d tokens %8.1f ms %9.2f t/s%n", r.promptTokens(), r.promptNanos() / 1e6, r.promptTokensPerSecond());
            err.printf("generation: %5d tokens %8.1f ms %9.2f t/s (%d threads, %s)%n", r.decodedTokens(), r.decodeNanos() / 1e6,
                    r.decodeTokensPerSecond(), model.threads(), model.phd().name());
        }
        return 0;
    }

    private String promptText() {
        if (prompt != null && promptFile != null) throw common.bad("give either -p or -f, not both");
        if (promptFile != null) return TextFiles.read(promptFile);
        if (prompt == null) throw common.bad("a prompt is required (-p PROMPT or -f PROMPT_FILE)");
        return prompt;
    }
}
