package phd4j;

/**
 * The outcome of one {@link Session#generate} call.
 *
 * @param tokens        the generated token ids (a stop token or end-of-generation token is not
 *                      included); empty unless {@link GenerationParams#keepOutput}
 * @param text          their text, cut before a stop string; empty unless {@link GenerationParams#keepOutput}
 * @param generatedTokens how many tokens {@code tokens} has, or would have had
 * @param promptTokens  tokens evaluated for the prompt, in {@code promptNanos}
 * @param decodedTokens single-token forward passes made while generating, in {@code decodeNanos}
 *                      (sampling excluded), the basis of the generation speed
 */
public record GenerationResult(int[] tokens, String text, long generatedTokens, StopReason stopReason,
                               int promptTokens, long promptNanos, int decodedTokens, long decodeNanos) {

    public enum StopReason { END_OF_GENERATION, STOP_TOKEN, STOP_STRING, MAX_TOKENS, LISTENER }

    public double promptTokensPerSecond() {
        return promptNanos == 0 ? 0 : promptTokens * 1e9 / promptNanos;
    }

    public double decodeTokensPerSecond() {
        return decodeNanos == 0 ? 0 : decodedTokens * 1e9 / decodeNanos;
    }
}
