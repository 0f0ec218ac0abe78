package phd4j;

import java.util.List;
import phd4j.model.Forward;
import phd4j.model.KvCache;

/**
 * Advances the generations of several sessions of one model by one token each in a single
 * forward pass: the matmuls run over the rows of all of them, so each weight block is read once
 * per step for every generation (as a PHD step's K copies share one read), while attention reads
 * each session's own cache. This is how a server serves concurrent requests at little more than
 * the cost of one. With PHD (K > 1) each session contributes its K copies, the logits coming from
 * copy K, as {@link Session#evaluate} does for one token.
 *
 * <p>Rounding: a weight type's kernels sum a dot product in an order that depends on how many
 * activation rows the pass has (one row takes a dedicated path; groups of rows share activation
 * loads), so a generation's logits in a batch equal those it gets alone to about 1e-6 relative,
 * not bitwise; greedy choices agree unless two logits tie that closely (BatchDecoderTest).
 * Prompts are not batched here: evaluate them per session ({@link Generation#prefill}), where
 * the chunks of a prompt are the same whatever else runs.
 */
public final class BatchDecoder {
    private final Model model;
    private final Forward forward;   // its own activation buffers, sized for the step
    private final int maxSequences, k, vocab;
    private final KvCache[] caches;
    private final int[] rows, tokens, positions, copies, logitRows;
    private final float[] logits;

    BatchDecoder(Model model, int maxSequences) {
        if (maxSequences < 1) throw new IllegalArgumentException("a batch needs room for at least one sequence, not " + maxSequences);
        this.model = model;
        this.k = model.phd().k();
        this.maxSequences = maxSequences;
        this.vocab = model.config().vocabSize();
        this.forward = new Forward(model.config(), model.weights(), model.phd(), model.pool(), maxSequences * k);
        this.caches = new KvCache[maxSequences];
        this.rows = new int[maxSequences];
        this.tokens = new int[maxSequences * k];
        this.positions = new int[maxSequences * k];
        this.copies = new int[maxSequences * k];
        this.logitRows = new int[maxSequences];
        this.logits = new float[maxSequences * vocab];
    }

    public int maxSequences() {
        return maxSequences;
    }

    /**
     * One decode step: every generation that waits for its next token (prompt evaluated, not
     * finished) evaluates it, all in one forward pass, then samples, streams and checks its stops
     * as it would alone. Generations that do not wait are skipped. Each must belong to a different
     * session of this model. Returns how many advanced.
     */
    public int step(List<Generation> generations) {
        int n = 0;
        Generation[] batch = new Generation[maxSequences];
        Session[] sessions = new Session[maxSequences];
        int[] next = new int[maxSequences];
        for (Generation g : generations) {
            if (!g.decoding()) continue;
            if (n == maxSequences) throw new IllegalArgumentException("more than " + maxSequences + " generations decoding");
            batch[n] = g;
            sessions[n] = g.session();
            next[n++] = g.nextToken();
        }
        if (n == 0) return 0;
        long t0 = System.nanoTime();
        float[] out = evaluate(sessions, next, n);
        long nanos = System.nanoTime() - t0;
        for (int i = 0; i < n; i++) batch[i].decodeAccept(out, i * vocab, nanos);
        return n;
    }

    /**
     * Evaluates tokens[i] after what sessions[i] has seen, for i < n, in one forward pass; returns
     * the next-token logits, sequence i's at [i * vocab ..) (a buffer the next call reuses).
     */
    float[] evaluate(Session[] sessions, int[] next, int n) {
        if (n < 1 || n > maxSequences) throw new IllegalArgumentException(n + " sequences, limit " + maxSequences);
        for (int i = 0; i < n; i++) {
            Session s = sessions[i];
            if (s.model() != model) throw new IllegalArgumentException("a session of another model");
            caches[i] = s.cache();
            rows[i] = k;
            for (int c = 1; c <= k; c++) {
                int r = i * k + c - 1;
                tokens[r] = next[i];
                positions[r] = s.position();
                copies[r] = c;
            }
            logitRows[i] = i * k + k - 1; // copy K's
        }
        forward.run(caches, rows, n, tokens, positions, copies, logitRows, n, logits, null);
        for (int i = 0; i < n; i++) sessions[i].advanced();
        return logits;
    }
}
