package phd4j;

import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import phd4j.chat.ChatMessage;
import phd4j.chat.ChatTemplate;
import phd4j.model.Forward;
import phd4j.model.KvCache;
import phd4j.phd.PhdConfig;
import phd4j.tokenizer.Tokenizer;

/**
 * One conversation with a model: the KV caches (a ring of original-token keys and values of
 * fixed capacity, plus the hidden-token window for PHD-SWA/CSWA) and the activation buffers.
 * When more tokens than the context have been seen, the ring keeps its first {@code keep} sink
 * entries and overwrites the oldest others, so memory stays constant however long it runs.
 * Not thread-safe: use one session per thread (many sessions can share one {@link Model}).
 */
public final class Session implements AutoCloseable {
    /**
     * Prompt tokens per forward pass (each pass also has room for their hidden copies), unless
     * the session is opened with another size (llama.cpp's n_ubatch is 512 too): each pass reads,
     * and for quantized types dequantizes, every weight block once, so larger passes pay that
     * less often. 1.1b Q8_0 pp512,
     * 2 threads: 128 rows 73.0 / 72.8 t/s, 256 rows 79.5 / 76.4, 512 rows 83.4 / 80.6 (110m F32:
     * 32 rows 2.02 s, 128 rows 1.59 s, 512 rows 1.56 s on one thread). The activation buffers grow
     * with it: about 50 MB for 1.1b. {@code -Dphd4j.promptBatch=N} changes the default.
     */
    public static final int DEFAULT_PROMPT_BATCH = Integer.getInteger("phd4j.promptBatch", 512);
    /** The largest prompt batch: a pass's mask is rows x rows booleans. */
    public static final int MAX_PROMPT_BATCH = 4096;
    /** Sink entries kept when the ring is full, unless the caller says otherwise (StreamingLLM uses 4). */
    public static final int DEFAULT_KEEP = 4;

    /** The sinks a ring of {@code contextLength} tokens keeps by default: {@link #DEFAULT_KEEP}, fewer if the context is tiny. */
    public static int defaultKeep(int contextLength) {
        return Math.min(DEFAULT_KEEP, Math.max(0, contextLength - 1));
    }

    private final Model model;
    private final PhdConfig phd;
    private final Forward forward;
    private final KvCache cache;
    private final int vocab;
    private final int maxBatch;
    // The batch being assembled: row r is copy copies[r] of tokens[r] at positions[r].
    private final int[] tokens, positions, copies, logitRows;
    private float[] logits = new float[0]; // [rows with logits][vocab], grown as a batch needs: one row but for evaluateAll
    private int position;              // tokens seen so far = the next position
    private String chatText;           // the rendered conversation whose tokens the caches hold, null unless chat() filled them

    Session(Model model, int contextLength, int keep, int promptBatch) {
        this.model = model;
        this.phd = model.phd();
        // room for the hidden copies a prefill adds (CSWA-3-16-32: 64 rows), so that a prompt of
        // promptBatch tokens runs in one pass, as a vanilla one does, not in a second pass of its
        // own; at most promptBatch rows of room (large K with a wide SWA cone takes more passes)
        long room = (long) (phd.k() - 1) * Math.min(promptBatch, phd.maxPositionsWithCopies(model.config().shape().layers()));
        this.maxBatch = (int) Math.max(promptBatch + Math.min(room, promptBatch), phd.k());
        this.forward = new Forward(model.config(), model.weights(), phd, model.pool(), maxBatch);
        this.cache = forward.newCache(contextLength, keep);
        this.vocab = model.config().shape().vocab();
        this.tokens = new int[maxBatch];
        this.positions = new int[maxBatch];
        this.copies = new int[maxBatch];
        this.logitRows = new int[maxBatch];
    }

    /** Original tokens the KV ring holds at most; older ones (but the sinks) are overwritten. */
    public int contextLength() {
        return cache.ring().capacity();
    }

    /** Tokens evaluated so far (the position of the next one). */
    public int position() {
        return position;
    }

    /** KV bytes this session holds: the original ring, plus the hidden window for SWA/CSWA. Constant. */
    public long kvCacheBytes() {
        return cache.bytes();
    }

    /** Token-rows (all copies) that have gone through the weight matrices: instrumentation for tests and benchmarks. */
    public long rowsProcessed() {
        return cache.rowsProcessed();
    }

    /** Forgets everything evaluated so far; the caches are reused. */
    public void reset() {
        position = 0;
        chatText = null;
        cache.clear();
    }

    Model model() {
        return model;
    }

    /** This session's KV state, for a {@link BatchDecoder} pass that includes it. */
    KvCache cache() {
        return cache;
    }

    /**
     * Throws IllegalStateException if {@code more} positions after this session's would pass the
     * largest int position (2^31 - 1: about 25 days of tokens at 1,000 a second); before
     * anything is evaluated, so the session stays as it was.
     */
    void checkPositions(int more) {
        if (more > Integer.MAX_VALUE - position) {
            throw new IllegalStateException("this session is at position " + position + ": " + more
                    + " more would pass the last one, 2^31 - 1; start a new session");
        }
    }

    /** After a {@link BatchDecoder} pass evaluated {@code positions} more positions here. */
    void advanced(int positions) {
        position += positions;
        chatText = null;
    }

    /**
     * Evaluates tokens after those already seen and returns the next-token logits (copy K's) at
     * every one of them: result[i] follows tokens[i]. Computes the hidden copies of every position.
     */
    public float[][] evaluateAll(int[] tokens) {
        chatText = null;
        float[][] out = new float[tokens.length][];
        run(tokens, null, out);
        return out;
    }

    /**
     * Evaluates tokens after those already seen and returns the next-token logits after the last
     * one. Only the hidden copies the variant needs are computed, layer by layer
     * ({@link PhdConfig#hiddenCone}): for PHD those of the last position, for CSWA at most those
     * of its chunk, for SWA those within reach of its window.
     */
    public float[] evaluate(int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens to evaluate");
        chatText = null;
        float[][] out = new float[1][];
        run(tokens, phd.hiddenCone(position, tokens.length, model.config().shape().layers()), out);
        return out[0];
    }

    /**
     * Runs tokens through the model in batches of whole positions (all copies of a position in one
     * batch). {@code hiddenCone}: which hidden copies each layer computes (null: all of every
     * position); positions from its first layer's on get their K copies. out.length ==
     * tokens.length: logits at every position; out.length == 1: logits after the last.
     */
    private void run(int[] input, int[] hiddenCone, float[][] out) {
        checkPositions(input.length);
        int rows = 0, nLogits = 0;
        int[] outIndex = new int[maxBatch]; // which out[] entry each logit row fills
        int start = position;                // flush() advances position as batches complete
        int copiesFrom = hiddenCone != null ? hiddenCone[0] : start;
        for (int i = 0; i < input.length; i++) {
            int p = start + i;
            int k = p >= copiesFrom ? phd.k() : 1;
            if (rows + k > maxBatch) {
                flush(rows, nLogits, outIndex, out, hiddenCone);
                rows = 0;
                nLogits = 0;
            }
            for (int s = 1; s <= k; s++) {
                tokens[rows] = input[i];
                positions[rows] = p;
                copies[rows] = s;
                rows++;
            }
            boolean wanted = out.length == input.length || i == input.length - 1;
            if (wanted) {
                logitRows[nLogits] = rows - 1; // the last copy made of this position: copy K
                outIndex[nLogits++] = out.length == 1 ? 0 : i;
            }
        }
        flush(rows, nLogits, outIndex, out, hiddenCone);
    }

    private void flush(int rows, int nLogits, int[] outIndex, float[][] out, int[] hiddenCone) {
        if (logits.length < (long) nLogits * vocab) {
            if ((long) nLogits * vocab > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(nLogits + " positions' logits of " + vocab + " entries exceed an array: open the session with a smaller prompt batch");
            }
            logits = new float[nLogits * vocab];
        }
        forward.run(cache, tokens, positions, copies, rows, logitRows, nLogits, logits, hiddenCone);
        position = positions[rows - 1] + 1;
        for (int j = 0; j < nLogits; j++) out[outIndex[j]] = Arrays.copyOfRange(logits, j * vocab, (j + 1) * vocab);
    }

    /** Tokenizes a prompt as the model says (BOS if the model wants it) and generates from it. */
    public GenerationResult generate(String prompt, GenerationParams params, TokenListener listener) {
        return generate(model.tokenizer().encode(prompt, true, false), params, listener);
    }

    /**
     * Evaluates the prompt tokens, then samples new tokens as {@link GenerationParams} says, calling
     * the listener as each is made (keeping them in the result only if {@link GenerationParams#keepOutput}). Throws IllegalArgumentException before any work if the prompt
     * does not fit in the remaining context.
     */
    public GenerationResult generate(int[] prompt, GenerationParams params, TokenListener listener) {
        return start(prompt, params, listener).run();
    }

    /**
     * As {@link #generate(int[], GenerationParams, TokenListener)}, but returns the generation
     * before any work, for the caller to run ({@link Generation#run}, or prompt chunks and
     * {@link BatchDecoder} steps). Checks the prompt as generate does.
     */
    public Generation start(int[] prompt, GenerationParams params, TokenListener listener) {
        chatText = null;
        return continueWith(prompt, params, listener, r -> { });
    }

    /**
     * Continues a conversation in the model's chat template ({@code tokenizer.chat_template}):
     * see {@link #chat(ChatTemplate, List, GenerationParams, TokenListener)}.
     *
     * @throws IllegalStateException if the model has no chat template
     */
    public GenerationResult chat(List<ChatMessage> messages, GenerationParams params, TokenListener listener) {
        return chat(model.chatTemplate().orElseThrow(() -> new IllegalStateException(
                model.file().path() + ": the model has no tokenizer.chat_template (give a template)")), messages, params, listener);
    }

    /**
     * Renders the conversation with the generation prompt and generates the assistant's reply,
     * stopping at the template's end-of-turn token (an end-of-generation token of the vocabulary).
     * The caches keep the conversation: when {@code messages} continues the one this session last
     * answered (the earlier messages and that reply, as returned), only the new text is evaluated,
     * and this goes on past the context (the ring keeps the first tokens and the newest). Any other
     * list starts over from an empty cache, and must then fit in the context.
     *
     * @throws phd4j.chat.ChatTemplateException if the template fails to render the messages
     * @throws IllegalArgumentException if the text to evaluate does not fit in the context
     */
    public GenerationResult chat(ChatTemplate template, List<ChatMessage> messages, GenerationParams params, TokenListener listener) {
        return startChat(template, messages, params, listener).run();
    }

    /**
     * As {@link #chat(ChatTemplate, List, GenerationParams, TokenListener)}, but returns the
     * generation before any work (see {@link #start}); the session keeps the conversation when it finishes.
     */
    public Generation startChat(ChatTemplate template, List<ChatMessage> messages, GenerationParams params, TokenListener listener) {
        Tokenizer tok = model.tokenizer();
        String rendered = template.render(messages, true, tokenText(tok.bos()), tokenText(tok.eos()));
        int[] input = null;
        if (chatText != null && rendered.startsWith(chatText) && rendered.length() > chatText.length()) {
            input = tok.encode(rendered.substring(chatText.length()), false, true);
        }
        if (input == null || input.length == 0) {
            reset();
            // a template that writes BOS itself gets no second one
            boolean bos = tok.addBos() && !(tok.bos() >= 0 && rendered.startsWith(tokenText(tok.bos())));
            input = tok.encode(rendered, bos, true);
        }
        if (input.length > contextLength()) {
            throw new IllegalArgumentException("the conversation needs " + input.length + " new tokens, more than the context of " + contextLength());
        }
        // the reply's tokens that went through the model: all but a last one sampled and returned at a stop;
        // kept whatever params say, since the session's transcript is made of them
        return continueWith(input, params.withKeepOutput(true), listener, r -> chatText = rendered + tok.decode(Arrays.copyOf(r.tokens(), r.decodedTokens())));
    }

    private String tokenText(int token) {
        return token >= 0 ? model.tokenizer().tokenText(token) : "";
    }

    private Generation continueWith(int[] prompt, GenerationParams params, TokenListener listener, Consumer<GenerationResult> onFinish) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        if (prompt.length > contextLength()) {
            throw new IllegalArgumentException("the prompt is " + prompt.length + " tokens, longer than the context of " + contextLength());
        }
        return new Generation(this, model.tokenizer(), vocab, prompt, params, listener, onFinish);
    }

    @Override
    public void close() {
        // Heap buffers only: nothing to release eagerly. Present so sessions fit try-with-resources.
    }
}
