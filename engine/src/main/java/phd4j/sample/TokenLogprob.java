package phd4j.sample;

/**
 * A generated token's log-probability under the model, log softmax of the logits it was sampled
 * from (before penalties, temperature and truncation, as llama-server and OpenAI report them),
 * with the most likely tokens at that position.
 *
 * @param topTokens   the {@code top} most likely ids, most likely first (ties: lower id first)
 * @param topLogprobs their log-probabilities
 */
public record TokenLogprob(int token, double logprob, int[] topTokens, double[] topLogprobs) {

    /** The log-probabilities at logits[offset .. offset + n) of {@code token} and of the {@code top} most likely tokens. */
    public static TokenLogprob of(float[] logits, int offset, int n, int token, int top) {
        if (token < 0 || token >= n) throw new IllegalArgumentException("token " + token + " is not in 0.." + (n - 1));
        if (top < 0) throw new IllegalArgumentException("top must be >= 0, is " + top);
        top = Math.min(top, n);
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[offset + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(logits[offset + i] - max);
        double logZ = max + Math.log(sum);
        int[] ids = new int[top];  // best first, kept sorted by insertion: top is small (OpenAI allows 20)
        int size = 0;
        for (int i = 0; i < n && top > 0; i++) {
            float v = logits[offset + i];
            if (size == top && v <= logits[offset + ids[size - 1]]) continue;
            int at = Math.min(size, top - 1);
            while (at > 0 && logits[offset + ids[at - 1]] < v) {
                ids[at] = ids[at - 1];
                at--;
            }
            ids[at] = i;
            if (size < top) size++;
        }
        double[] lp = new double[top];
        for (int i = 0; i < top; i++) lp[i] = logits[offset + ids[i]] - logZ;
        return new TokenLogprob(token, logits[offset + token] - logZ, ids, lp);
    }
}
