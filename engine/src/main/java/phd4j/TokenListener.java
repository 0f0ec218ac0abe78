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

    TokenListener NONE = (token, text) -> true;
}
