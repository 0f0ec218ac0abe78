package phd4j;

import java.util.Arrays;
import java.util.function.Consumer;
import phd4j.sample.Sampler;
import phd4j.tokenizer.StreamDecoder;
import phd4j.tokenizer.Tokenizer;

/**
 * One generation in progress in a {@link Session}: a prompt still to evaluate, then tokens sampled
 * one at a time with its own sampler, stop strings and listener. Made by {@link Session#start} or
 * {@link Session#startChat}. {@link #run} takes it to the end alone (what
 * {@link Session#generate} does); a {@link BatchDecoder} instead advances many generations, of
 * different sessions, by one token each in one forward pass, while the caller evaluates prompts
 * in chunks with {@link #prefill}. Either way the sampling and stopping are this class's, so a
 * request behaves the same alone and in a batch. Not thread-safe, as its session.
 */
public final class Generation {
    private final Session session;
    private final int[] prompt;
    private final GenerationParams params;
    private final TokenListener listener;
    private final Consumer<GenerationResult> onFinish; // the session's bookkeeping (a chat's cached text)
    private final Tokenizer tok;
    private final int vocab;      // the model's logits per row (may exceed the tokenizer's)
    private final Sampler sampler;
    private final StreamDecoder decoder;
    private final StopStringFilter stops;
    private final long maxTokens; // resolved from params: Long.MAX_VALUE when unbounded
    private int[] out = new int[16]; // the kept tokens, when params.keepOutput()
    private final StringBuilder text = new StringBuilder(); // stays empty unless params.keepOutput()
    private long generated;
    private int evaluated;        // prompt tokens evaluated so far
    private int pending = -1;     // the sampled token to evaluate next, once the prompt is done
    private int decoded;
    private long promptNanos, decodeNanos;
    private GenerationResult result;

    Generation(Session session, Tokenizer tok, int vocab, int[] prompt, GenerationParams params, TokenListener listener,
            Consumer<GenerationResult> onFinish) {
        this.session = session;
        this.tok = tok;
        this.vocab = vocab;
        this.prompt = prompt;
        this.params = params;
        this.listener = listener;
        this.onFinish = onFinish;
        this.sampler = new Sampler(params.sampler());
        for (int t : prompt) sampler.accept(t);
        this.decoder = tok.streamDecoder();
        this.stops = new StopStringFilter(params.stopStrings());
        this.maxTokens = switch (params.maxTokens()) {
            case GenerationParams.UNBOUNDED -> Long.MAX_VALUE;
            case GenerationParams.UNTIL_CONTEXT_FULL -> Math.max(1, session.contextLength() - session.position() - prompt.length);
            default -> params.maxTokens();
        };
    }

    public Session session() {
        return session;
    }

    /** Prompt tokens not evaluated yet. */
    public int promptRemaining() {
        return prompt.length - evaluated;
    }

    /** Whether it has finished: {@link #result} is then there. */
    public boolean done() {
        return result != null;
    }

    /** The outcome once {@link #done}, else null. */
    public GenerationResult result() {
        return result;
    }

    /**
     * Evaluates up to {@code maxTokens} more prompt tokens (a chunk, so that a long prompt does not
     * hold up the generations batched with it); after the last one samples the first token.
     */
    public void prefill(int maxTokens) {
        if (promptRemaining() == 0 || done()) throw new IllegalStateException("the prompt is evaluated");
        int[] chunk = promptChunk(Math.max(1, maxTokens));
        long t0 = System.nanoTime();
        float[] logits = session.evaluate(chunk);
        promptEvaluated(chunk.length, logits, 0, System.nanoTime() - t0);
    }

    /** The next prompt tokens to evaluate, at most {@code maxTokens} (at least one is left). */
    int[] promptChunk(int maxTokens) {
        int len = Math.min(maxTokens, promptRemaining());
        return evaluated == 0 && len == prompt.length ? prompt : Arrays.copyOfRange(prompt, evaluated, evaluated + len);
    }

    /**
     * After a pass of {@code nanos} evaluated the next {@code len} prompt tokens; when they end the
     * prompt, the logits after the last are at logits[offset ..] and the first token is sampled.
     */
    void promptEvaluated(int len, float[] logits, int offset, long nanos) {
        promptNanos += nanos;
        evaluated += len;
        if (promptRemaining() == 0) accept(logits, offset);
    }

    /** Runs it to the end in its session alone: the whole prompt in one evaluation, then a pass per token. */
    public GenerationResult run() {
        while (!done()) {
            if (promptRemaining() > 0) {
                prefill(Integer.MAX_VALUE);
            } else {
                long t0 = System.nanoTime();
                float[] logits = session.evaluate(new int[] {pending});
                decodeAccept(logits, 0, System.nanoTime() - t0);
            }
        }
        return result;
    }

    /** Whether it waits for the logits after {@link #nextToken} (its prompt is done and it has not finished). */
    boolean decoding() {
        return !done() && promptRemaining() == 0;
    }

    /** The token to evaluate next while {@link #decoding}. */
    int nextToken() {
        return pending;
    }

    /** The logits after {@link #nextToken}, at logits[offset ..], from a pass of {@code nanos}. */
    void decodeAccept(float[] logits, int offset, long nanos) {
        decodeNanos += nanos;
        decoded++;
        accept(logits, offset);
    }

    /** Samples a token from the logits after the last evaluated one; finishes, or keeps it as {@link #nextToken}. */
    private void accept(float[] logits, int offset) {
        int token = sampler.sample(logits, offset, vocab);
        sampler.acceptGenerated(token);
        if (!params.ignoreEos() && tok.isEndOfGeneration(token)) { finish(GenerationResult.StopReason.END_OF_GENERATION); return; }
        if (params.stopTokens().contains(token)) { finish(GenerationResult.StopReason.STOP_TOKEN); return; }
        listener.onSampled(token, logits, offset, vocab);
        keep(token);
        String piece = stops.push(decoder.push(token));
        if (params.keepOutput()) text.append(piece);
        if (stops.stopped()) { listener.onToken(token, piece); finish(GenerationResult.StopReason.STOP_STRING); return; }
        if (!listener.onToken(token, piece)) { finish(GenerationResult.StopReason.LISTENER); return; }
        if (generated >= maxTokens) { finish(GenerationResult.StopReason.MAX_TOKENS); return; }
        pending = token;
    }

    private void keep(int token) {
        if (params.keepOutput()) {
            if (generated == out.length) out = Arrays.copyOf(out, Math.toIntExact(Math.min(2L * out.length, Integer.MAX_VALUE - 8)));
            out[(int) generated] = token;
        }
        generated++;
    }

    private void finish(GenerationResult.StopReason reason) {
        if (reason != GenerationResult.StopReason.STOP_STRING) {
            String tail = stops.finish(decoder.finish());
            if (params.keepOutput()) text.append(tail);
            if (!tail.isEmpty()) listener.onToken(-1, tail);
        }
        int[] tokens = params.keepOutput() ? Arrays.copyOf(out, (int) generated) : new int[0];
        GenerationResult r = new GenerationResult(tokens, text.toString(), generated, reason,
                prompt.length, promptNanos, decoded, decodeNanos);
        onFinish.accept(r);
        result = r;
    }
}
