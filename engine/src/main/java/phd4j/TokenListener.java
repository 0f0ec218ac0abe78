package phd4j;

/** Receives generated tokens as they are made. */
@FunctionalInterface
public interface TokenListener {
    /**
     * Called once per generated token with the text it completes (possibly empty while a
     * multi-byte character or a possible stop string is still pending).
     *
     * @return false to stop generating
     */
    boolean onToken(int token, String text);

    /**
     * Called just before {@link #onToken} for a generated token with the raw logits it was sampled
     * from, at logits[offset .. offset + n) (before any penalty): for log-probabilities. The array
     * is reused once this returns.
     */
    default void onSampled(int token, float[] logits, int offset, int n) {}

    TokenListener NONE = (token, text) -> true;
}
