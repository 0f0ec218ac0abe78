package phd4j;

import java.util.ArrayList;
import java.util.List;
import phd4j.model.Forward;
import phd4j.sample.Sampler;
import phd4j.tokenizer.StreamDecoder;
import phd4j.tokenizer.Tokenizer;

/**
 * One conversation with a model: a KV cache of fixed capacity and the activation buffers.
 * Not thread-safe: use one session per thread (many sessions can share one {@link Model}).
 */
public final class Session implements AutoCloseable {
    /** Rows per forward pass while evaluating a prompt: large enough to reuse each weight block many times. */
    private static final int PROMPT_BATCH = 32;

    private final Model model;
    private final Forward forward;
    private final int vocab;
    private final float[] logits;      // [PROMPT_BATCH][vocab]
    private int position;              // tokens in the cache

    Session(Model model, int contextLength) {
        this.model = model;
        this.forward = new Forward(model.config(), model.weights(), model.pool(), contextLength, Math.min(PROMPT_BATCH, contextLength));
        this.vocab = model.config().vocabSize();
        this.logits = new float[forward.maxBatch() * vocab];
    }

    public int contextLength() {
        return forward.cache().capacity();
    }

    /** Tokens held in the KV cache. */
    public int position() {
        return position;
    }

    public long kvCacheBytes() {
        return forward.cache().bytes();
    }

    /** Forgets everything evaluated so far; the cache is reused. */
    public void reset() {
        position = 0;
    }

    /**
     * Evaluates tokens after those already in the cache and returns the logits at every one of
     * them: result[i] are the next-token logits after tokens[i].
     */
    public float[][] evaluateAll(int[] tokens) {
        checkRoom(tokens.length);
        float[][] out = new float[tokens.length][];
        for (int from = 0; from < tokens.length; from += forward.maxBatch()) {
            int n = Math.min(forward.maxBatch(), tokens.length - from);
            forward.run(tokens, from, n, position, logits, n);
            position += n;
            for (int i = 0; i < n; i++) out[from + i] = java.util.Arrays.copyOfRange(logits, i * vocab, (i + 1) * vocab);
        }
        return out;
    }

    /** Evaluates tokens after those in the cache (batched) and returns the logits after the last one. */
    public float[] evaluate(int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens to evaluate");
        checkRoom(tokens.length);
        int n = 0;
        for (int from = 0; from < tokens.length; from += n) {
            n = Math.min(forward.maxBatch(), tokens.length - from);
            boolean last = from + n == tokens.length;
            forward.run(tokens, from, n, position, last ? logits : null, 1);
            position += n;
        }
        return java.util.Arrays.copyOf(logits, vocab);
    }

    private void checkRoom(int n) {
        if (position + n > contextLength()) {
            throw new IllegalArgumentException(n + " tokens do not fit: " + position + " of " + contextLength()
                    + " context positions are used");
        }
    }

    /** Tokenizes a prompt as the model says (BOS if the model wants it) and generates from it. */
    public GenerationResult generate(String prompt, GenerationParams params, TokenListener listener) {
        return generate(model.tokenizer().encode(prompt, true, false), params, listener);
    }

    /**
     * Evaluates the prompt tokens, then samples up to params.maxTokens() new tokens, calling the
     * listener as each is made. Throws IllegalArgumentException before any work if the prompt
     * does not fit in the remaining context.
     */
    public GenerationResult generate(int[] prompt, GenerationParams params, TokenListener listener) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        checkRoom(prompt.length);
        Tokenizer tok = model.tokenizer();
        Sampler sampler = new Sampler(params.sampler());
        for (int t : prompt) sampler.accept(t);

        long t0 = System.nanoTime();
        float[] next = evaluate(prompt);
        long promptNanos = System.nanoTime() - t0;

        StreamDecoder decoder = tok.streamDecoder();
        StopStringFilter stops = new StopStringFilter(params.stopStrings());
        List<Integer> out = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        int decoded = 0;
        long decodeNanos = 0;
        GenerationResult.StopReason reason;
        while (true) {
            int token = sampler.sample(next, 0, vocab);
            sampler.accept(token);
            if (!params.ignoreEos() && tok.isEndOfGeneration(token)) { reason = GenerationResult.StopReason.END_OF_GENERATION; break; }
            if (params.stopTokens().contains(token)) { reason = GenerationResult.StopReason.STOP_TOKEN; break; }
            out.add(token);
            String piece = stops.push(decoder.push(token));
            text.append(piece);
            if (stops.stopped()) { reason = GenerationResult.StopReason.STOP_STRING; listener.onToken(token, piece); break; }
            if (!listener.onToken(token, piece)) { reason = GenerationResult.StopReason.LISTENER; break; }
            if (params.maxTokens() > 0 && out.size() >= params.maxTokens()) { reason = GenerationResult.StopReason.MAX_TOKENS; break; }
            if (position >= contextLength()) { reason = GenerationResult.StopReason.CONTEXT_FULL; break; }
            long s = System.nanoTime();
            next = evaluate(new int[] {token});
            decodeNanos += System.nanoTime() - s;
            decoded++;
        }
        if (reason != GenerationResult.StopReason.STOP_STRING) {
            String tail = stops.finish(decoder.finish());
            text.append(tail);
            if (!tail.isEmpty()) listener.onToken(-1, tail);
        }
        return new GenerationResult(out.stream().mapToInt(Integer::intValue).toArray(), text.toString(), reason,
                prompt.length, promptNanos, decoded, decodeNanos);
    }

    @Override
    public void close() {
        // Heap buffers only: nothing to release eagerly. Present so sessions fit try-with-resources.
    }
}
