package phd4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import phd4j.Model;
import phd4j.eval.Perplexity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code phd perplexity}: perplexity of a model on a text, computed as llama-perplexity computes it
 * (see {@link Perplexity}): same tokens, same windows, same scored half, so the numbers compare.
 */
@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = {"Perplexity of a model on a text file, as llama-perplexity computes it: non-overlapping windows of CTX",
                "tokens (first token BOS when the model adds BOS), the second half of each window scored.",
                "Progress on stderr; the last line of stdout is 'perplexity: VALUE'."})
final class PerplexityCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin PhdOptions phdOptions;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "TEXT", description = "UTF-8 text file (one trailing newline is dropped, as llama.cpp does)")
    Path file;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "CTX", defaultValue = "0",
            description = "window length in tokens; 0: the model's training context (default: ${DEFAULT-VALUE})")
    int context;

    @Override
    public Integer call() {
        if (context < 0 || (context > 0 && context < 4)) throw common.bad("-c must be >= 4 (or 0: the model's), got " + context);
        phd4j.phd.PhdConfig phd = phdOptions.config();
        PrintWriter out = common.spec.commandLine().getOut();
        PrintWriter err = common.spec.commandLine().getErr();
        String text = TextFiles.read(file);
        if (text.endsWith("\n")) text = text.substring(0, text.length() - 1);
        try (Model model = Model.load(common.model(), common.loadOptions(phd))) {
            Activity.set("evaluating perplexity with " + model.file().path());
            PhdOptions.announce(model, err);
            int ctx = context > 0 ? context : model.config().trainedContext();
            long t0 = System.nanoTime();
            int[] tokens = model.tokenizer().encode(text, true, false);
            if (tokens.length < Perplexity.minimumTokens(ctx)) {
                throw new Main.UserException(file + " has " + tokens.length + " tokens; a context of " + ctx + " needs at least "
                        + Perplexity.minimumTokens(ctx) + " (use a smaller -c or a longer text)");
            }
            err.printf("%d tokens, %d windows of %d, scoring the last %d tokens of each%n", tokens.length, tokens.length / ctx, ctx,
                    ctx - 1 - ctx / 2);
            ProgressBar bar = new ProgressBar(err, "perplexity windows", n -> Long.toString(n));
            Perplexity.Result r;
            try {
                r = Perplexity.compute(model, tokens, ctx, (done, total, ppl) -> bar.update(done, total, String.format("ppl %.4f", ppl)));
            } finally {
                bar.finish();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            err.printf("%d tokens scored in %.1f s (%.0f tokens/s evaluated); mean NLL %.6f nats, PPL = %.4f +/- %.5f%n",
                    r.scored(), seconds, r.windows() * (double) ctx / seconds, r.meanNll(), r.perplexity(), r.stdErr());
            out.printf("perplexity: %.4f%n", r.perplexity());
            out.flush();
        }
        return 0;
    }
}
