package phd4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import phd4j.Model;
import phd4j.Session;
import phd4j.json.JsonText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code phd logits}: for each prompt, one JSON line with the logits at every prompt position
 * and a greedy continuation, in the format of llama.cpp's fixtures in shared/fixtures.
 */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Print prompt logits and a greedy continuation as JSON lines (one per prompt).")
final class LogitsCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin PhdOptions phdOptions;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "0", description = "greedy tokens after each prompt (default: ${DEFAULT-VALUE})")
    int nPredict;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "CTX", defaultValue = "0",
            description = "context length; 0: just enough for each prompt and its continuation (default: ${DEFAULT-VALUE})")
    int context;

    /** A prompt as given: text (BOS added as the model says) or raw token ids. */
    record Prompt(String text, int[] ids) {}

    /** Prompts in command-line order (-p and --ids may be mixed and repeated). */
    final List<Prompt> prompts = new ArrayList<>();

    @Option(names = {"-p", "--prompt"}, paramLabel = "PROMPT", description = "a text prompt (repeatable)")
    void addPrompt(String text) {
        prompts.add(new Prompt(text, null));
    }

    @Option(names = "--ids", paramLabel = "ID,ID,...", description = "a prompt of raw token ids (repeatable)")
    void addIds(String list) {
        String[] parts = list.split(",", -1);
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                throw common.bad("--ids: '" + parts[i] + "' is not a token id (expected e.g. 1,403,407)");
            }
        }
        prompts.add(new Prompt(null, ids));
    }

    @Override
    public Integer call() {
        if (prompts.isEmpty()) throw common.bad("at least one -p PROMPT or --ids LIST is required");
        if (nPredict < 0) throw common.bad("-n must be >= 0, got " + nPredict);
        if (context < 0) throw common.bad("-c must be >= 0, got " + context);
        phd4j.phd.PhdConfig phd = phdOptions.config();
        PrintWriter out = common.spec.commandLine().getOut();
        try (Model model = Model.load(common.model(), common.loadOptions(phd))) {
            Activity.set("computing logits with " + model.file().path());
            PhdOptions.announce(model, common.spec.commandLine().getErr());
            int vocab = model.config().shape().vocab();
            for (Prompt p : prompts) {
                int[] tokens = p.text() != null ? model.tokenizer().encode(p.text(), true, false) : p.ids();
                if (tokens.length == 0) throw new Main.UserException("prompt " + JsonText.quote(p.text()) + " has no tokens");
                for (int t : tokens) {
                    if (t < 0 || t >= vocab) throw common.bad("--ids: token id " + t + " is outside the vocabulary (0.." + (vocab - 1) + ")");
                }
                int ctx = context > 0 ? context : tokens.length + nPredict;
                if (tokens.length + nPredict > ctx) {
                    throw new Main.UserException("prompt (" + tokens.length + " tokens) and -n " + nPredict + " exceed the context of " + ctx);
                }
                out.println(line(model, p.text() != null ? p.text() : model.tokenizer().decode(tokens), tokens, ctx));
                out.flush();
            }
        }
        return 0;
    }

    private String line(Model model, String promptText, int[] tokens, int ctx) {
        try (Session s = model.newSession(ctx)) {
            float[][] logits = s.evaluateAll(tokens);
            int[] greedy = new int[nPredict];
            float[] next = logits[logits.length - 1];
            for (int i = 0; i < nPredict; i++) {
                greedy[i] = argmax(next);
                if (i + 1 < nPredict) next = s.evaluate(new int[] {greedy[i]});
            }
            StringBuilder b = new StringBuilder(logits.length * next.length * 10);
            b.append("{\"prompt\":").append(JsonText.quote(promptText));
            b.append(",\"n_vocab\":").append(model.config().shape().vocab());
            b.append(",\"tokens\":").append(Arrays.toString(tokens).replace(" ", ""));
            b.append(",\"logits\":[");
            for (int i = 0; i < logits.length; i++) {
                if (i > 0) b.append(',');
                Json.floats(b, logits[i]);
            }
            b.append("],\"greedy\":").append(Arrays.toString(greedy).replace(" ", ""));
            b.append(",\"greedy_text\":").append(JsonText.quote(model.tokenizer().decode(greedy)));
            return b.append('}').toString();
        }
    }

    /** Greedy choice; ties go to the lowest id, as in llama.cpp. */
    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
