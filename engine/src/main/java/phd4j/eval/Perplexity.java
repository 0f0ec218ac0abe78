package phd4j.eval;

import phd4j.Model;
import phd4j.Session;

/**
 * Perplexity as llama.cpp's {@code llama-perplexity} computes it by default, so the numbers can be
 * compared: the token stream (the text tokenized with BOS if the model adds one) is cut into
 * {@code n = tokens / ctx} non-overlapping windows of ctx tokens (a shorter tail is dropped); each
 * window is evaluated on an empty cache, with its first token replaced by BOS when the model adds
 * BOS; and only the second half is scored: the logits at positions ctx/2 .. ctx-2 predict the
 * tokens at ctx/2+1 .. ctx-1, so every scored token has at least ctx/2 tokens of context.
 * Perplexity = exp(mean negative log-likelihood). Logits are the copy-K ones (PHD-aware), from
 * {@link Session#evaluateAll}.
 */
public final class Perplexity {
    private Perplexity() {}

    /**
     * @param perplexity exp(meanNll)
     * @param meanNll mean negative log-likelihood (nats) of the scored tokens
     * @param stdErr llama.cpp's "+/-": the standard error of the mean NLL, times the perplexity
     * @param scored tokens scored
     * @param windows windows evaluated
     */
    public record Result(double perplexity, double meanNll, double stdErr, long scored, int windows) {}

    /** Told after each window: how many of how many are done, and the perplexity so far. */
    @FunctionalInterface
    public interface WindowProgress {
        WindowProgress NONE = (done, total, ppl) -> {};

        void update(int done, int total, double perplexitySoFar);
    }

    /** The smallest number of tokens that gives one window: llama.cpp requires 2 ctx. */
    public static int minimumTokens(int ctx) {
        return 2 * ctx;
    }

    /**
     * @param tokens the whole text's tokens, as {@code tokenizer.encode(text, true, false)} gives them
     * @param ctx window length, >= 4
     * @throws IllegalArgumentException if there are fewer than {@link #minimumTokens} tokens
     */
    public static Result compute(Model model, int[] tokens, int ctx, WindowProgress progress) {
        if (ctx < 4) throw new IllegalArgumentException("context must be >= 4 tokens, got " + ctx);
        if (tokens.length < minimumTokens(ctx)) {
            throw new IllegalArgumentException("the text has " + tokens.length + " tokens; perplexity with a context of " + ctx
                    + " needs at least " + minimumTokens(ctx) + " (as llama-perplexity)");
        }
        int windows = tokens.length / ctx;
        int first = ctx / 2;
        boolean bos = model.tokenizer().addBos();
        double nll = 0, nll2 = 0;
        long count = 0;
        try (Session session = model.newSession(ctx)) {
            for (int w = 0; w < windows; w++) {
                int[] window = java.util.Arrays.copyOfRange(tokens, w * ctx, (w + 1) * ctx);
                if (bos) window[0] = model.tokenizer().bos();
                session.reset();
                float[][] logits = session.evaluateAll(window);
                for (int j = first; j < ctx - 1; j++) {
                    double l = -logProbability(logits[j], window[j + 1]);
                    nll += l;
                    nll2 += l * l;
                    count++;
                }
                progress.update(w + 1, windows, Math.exp(nll / count));
            }
        }
        double mean = nll / count;
        double var = nll2 / count - mean * mean;
        double err = var > 0 && count > 1 ? Math.sqrt(var / (count - 1)) * Math.exp(mean) : 0;
        return new Result(Math.exp(mean), mean, err, count, windows);
    }

    /** log softmax(logits)[target], in double. */
    public static double logProbability(float[] logits, int target) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double sum = 0;
        for (float v : logits) sum += Math.exp(v - max);
        return logits[target] - max - Math.log(sum);
    }
}
