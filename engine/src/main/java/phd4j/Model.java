package phd4j;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Optional;
import phd4j.chat.ChatTemplate;
import phd4j.gguf.GgufException;
import phd4j.gguf.GgufFile;
import phd4j.model.LlamaConfig;
import phd4j.model.LlamaWeights;
import phd4j.phd.PhdConfig;
import phd4j.simd.WorkerPool;
import phd4j.tokenizer.Tokenizer;

/**
 * A loaded model: the memory-mapped GGUF file, its validated weights, its tokenizer and a
 * worker pool. Immutable and thread-safe; open one {@link Session} per conversation (each has
 * its own KV cache). Sessions share the worker pool, so their forward passes take turns.
 * Closing the model unmaps the weights; its sessions must not be used afterwards.
 */
public final class Model implements AutoCloseable {
    private final GgufFile file;
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Tokenizer tokenizer;
    private final WorkerPool pool;
    private final Arena repacked; // the interleaved copies of the weights, if any
    private final PhdConfig phd;
    private final boolean phdOverridden;
    private Optional<ChatTemplate> chatTemplate; // parsed on first use: a model that is never chatted with needs no valid template

    private Model(GgufFile file, LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer, WorkerPool pool,
                  Arena repacked, PhdConfig phd, boolean phdOverridden) {
        this.file = file;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.pool = pool;
        this.repacked = repacked;
        this.phd = phd;
        this.phdOverridden = phdOverridden;
    }

    /** Loads with {@link LoadOptions#defaults()}. */
    public static Model load(Path path) {
        return load(path, LoadOptions.defaults());
    }

    /** Loads with {@code threads} worker threads and otherwise {@link LoadOptions#defaults()}. */
    public static Model load(Path path, int threads) {
        return load(path, LoadOptions.defaults().withThreads(threads));
    }

    /**
     * Loads imposing PHD settings ({@code phd} not null) instead of those in the file's
     * {@code phd.*} keys: for experiments and benchmarks on any model.
     */
    public static Model load(Path path, int threads, PhdConfig phd) {
        return load(path, LoadOptions.defaults().withThreads(threads).withPhd(phd));
    }

    /**
     * Maps and validates a GGUF model: its structure, tensors, hyperparameters and whole
     * vocabulary, so that a model that loads can be run and its output decoded.
     *
     * @throws GgufException naming the file and the key, tensor or offset, for a file that is
     *     unreadable (a missing file, no permission, not a regular file, an I/O error), malformed,
     *     or not a supported model; nothing else for a bad file
     */
    public static Model load(Path path, LoadOptions options) {
        GgufFile file = GgufFile.open(path);
        WorkerPool pool = null;
        Arena repacked = Arena.ofShared();
        try {
            LlamaConfig config = LlamaConfig.from(file, LlamaWeights.vocabSize(file));
            LlamaWeights weights = LlamaWeights.from(file, config);
            Tokenizer tokenizer = Tokenizer.fromGguf(file);
            // one token per embedding (and output) row: an extra token has no embedding, an extra row
            // can be sampled and has no piece to print
            if (tokenizer.vocabSize() != config.shape().vocab()) {
                throw new GgufException(path + ": tokenizer.ggml.tokens: " + tokenizer.vocabSize()
                        + " tokens, expected " + config.shape().vocab() + " (one per row of token_embd.weight and the output)");
            }
            PhdConfig fromFile = PhdConfig.fromGguf(file);
            pool = new WorkerPool(options.threads());
            if (options.repack()) weights = weights.withInterleaved(repacked, pool);
            PhdConfig phd = options.phd();
            return new Model(file, config, weights, tokenizer, pool, repacked,
                    phd != null ? phd : fromFile, phd != null && !phd.equals(fromFile));
        } catch (RuntimeException | Error e) {
            if (pool != null) pool.close();
            repacked.close();
            file.close();
            throw e;
        }
    }

    public LlamaConfig config() {
        return config;
    }

    /**
     * The chat template of the file's {@code tokenizer.chat_template} key, empty if it has none.
     *
     * @throws phd4j.chat.ChatTemplateException if the template does not parse (its line and the error)
     */
    public synchronized Optional<ChatTemplate> chatTemplate() {
        if (chatTemplate == null) {
            chatTemplate = file.findString("tokenizer.chat_template").map(t -> ChatTemplate.parse(t, file.path() + ": tokenizer.chat_template"));
        }
        return chatTemplate;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public GgufFile file() {
        return file;
    }

    LlamaWeights weights() {
        return weights;
    }

    WorkerPool pool() {
        return pool;
    }

    /** The PHD settings in use: the file's, or those imposed at load. */
    public PhdConfig phd() {
        return phd;
    }

    /** Whether {@link #phd()} differs from the file's own settings. */
    public boolean phdOverridden() {
        return phdOverridden;
    }

    public int threads() {
        return pool.threads();
    }

    /** Parallel sections handed to the worker pool so far (diagnostics: synchronization per token). */
    public long parallelSections() {
        return pool.handOffs();
    }

    /** Bytes of weight data the forward pass reads (mapped, not on the heap). */
    public long weightBytes() {
        return weights.bytes();
    }

    /** Bytes of the interleaved copies made at load ({@link LoadOptions#repack()}), in memory beside the mapped file. */
    public long repackedBytes() {
        return weights.interleavedBytes(true);
    }

    /** Bytes {@link #repackedBytes()} is, or would be if this model had been loaded with {@link LoadOptions#repack()}. */
    public long repackBytes() {
        return weights.interleavedBytes(false);
    }

    /** Number of parameters: elements of all tensors in the file. */
    public long parameterCount() {
        return file.tensors().stream().mapToLong(t -> t.elementCount()).sum();
    }

    /**
     * Opens a session whose original-token KV ring holds {@code contextLength} tokens (0: the
     * model's trained context), keeping {@link Session#DEFAULT_KEEP} sinks (fewer if the context is tiny).
     */
    public Session newSession(int contextLength) {
        int ctx = contextLength == 0 ? config.trainedContext() : contextLength;
        return newSession(ctx, Session.defaultKeep(ctx));
    }

    /** Opens a session with a KV ring of {@code contextLength} tokens that keeps {@code keep} sink entries when full. */
    public Session newSession(int contextLength, int keep) {
        return newSession(contextLength, keep, Session.DEFAULT_PROMPT_BATCH);
    }

    /**
     * As {@link #newSession(int, int)}, evaluating prompts in forward passes of {@code promptBatch}
     * tokens (llama.cpp's n_batch): each pass holds that many rows plus the hidden copies a
     * prefill adds ({@link PhdConfig#maxPositionsWithCopies} positions' K - 1 each); all copies of a
     * position go in one pass. Larger passes reuse each weight block for more rows.
     */
    public Session newSession(int contextLength, int keep, int promptBatch) {
        if (contextLength < 1) throw new IllegalArgumentException("context length must be >= 1, is " + contextLength);
        if (promptBatch < 1 || promptBatch > Session.MAX_PROMPT_BATCH) {
            throw new IllegalArgumentException("prompt batch must be 1 to " + Session.MAX_PROMPT_BATCH + " tokens, is " + promptBatch);
        }
        return new Session(this, contextLength, keep, promptBatch);
    }

    /**
     * A decoder that steps the generations of up to {@code maxSequences} sessions of this model
     * together, one forward pass per token for all of them (see {@link BatchDecoder}).
     */
    public BatchDecoder newBatchDecoder(int maxSequences) {
        return newBatchDecoder(maxSequences, 0);
    }

    /**
     * As {@link #newBatchDecoder(int)}, with room in each pass for up to {@code promptTokens}
     * prompt tokens of generations still reading theirs (0 for a PHD model, K > 1).
     */
    public BatchDecoder newBatchDecoder(int maxSequences, int promptTokens) {
        return new BatchDecoder(this, maxSequences, promptTokens);
    }

    @Override
    public void close() {
        pool.close();
        repacked.close();
        file.close();
    }
}
