package phd4j;

import java.util.List;
import phd4j.model.Forward;
import phd4j.model.KvCache;

/**
 * Advances the generations of several sessions of one model in a single forward pass: each
 * generating one by a token, and (vanilla models) some still reading their prompt by a chunk of
 * it. The matmuls run over the rows of all of them, so each weight block is read once per step
 * for every generation (as a PHD step's K copies share one read), while attention reads each
 * session's own cache. This is how a server serves concurrent requests at little more than the
 * cost of one. With PHD (K > 1) each generating session contributes its K copies, the logits
 * coming from copy K, as {@link Session#evaluate} does for one token; its prompts are evaluated
 * per session ({@link Generation#prefill}), where the hidden copies a prompt needs are planned.
 *
 * <p>Rounding: a weight type's kernels sum a dot product in an order that depends on how many
 * activation rows the pass has (one row takes a dedicated path; groups of rows share activation
 * loads; from 32 rows on a matrix-matrix product), so a generation's logits in a batch equal
 * those it gets alone to about 1e-6 relative, not bitwise; greedy choices agree unless two
 * logits tie that closely (BatchDecoderTest).
 */
public final class BatchDecoder {
    private final Model model;
    private final Forward forward;   // its own activation buffers, sized for the step
    private final int maxSequences, promptRoom, k, vocab;
    private final KvCache[] caches;
    private final Session[] sessions;
    private final int[] rows, tokens, positions, copies, logitRows;
    private final float[] logits;
    private int n, r, nLogits;       // the pass being assembled: sequences, rows, logit rows

    BatchDecoder(Model model, int maxSequences, int promptTokens) {
        if (maxSequences < 1) throw new IllegalArgumentException("a batch needs room for at least one sequence, not " + maxSequences);
        if (promptTokens < 0) throw new IllegalArgumentException("prompt tokens per step must be >= 0, not " + promptTokens);
        this.model = model;
        this.k = model.phd().k();
        if (promptTokens > 0 && k > 1) throw new IllegalArgumentException("prompts of a PHD model (K = " + k + ") are evaluated per session");
        this.maxSequences = maxSequences;
        this.promptRoom = promptTokens;
        this.vocab = model.config().shape().vocab();
        int maxRows = maxSequences * k + promptTokens;
        this.forward = new Forward(model.config(), model.weights(), model.phd(), model.pool(), maxRows);
        this.caches = new KvCache[maxSequences];
        this.sessions = new Session[maxSequences];
        this.rows = new int[maxSequences];
        this.tokens = new int[maxRows];
        this.positions = new int[maxRows];
        this.copies = new int[maxRows];
        this.logitRows = new int[maxSequences];
        this.logits = new float[maxSequences * vocab];
    }

    public int maxSequences() {
        return maxSequences;
    }

    /** As {@link #step(List, int)} with no prompt tokens: only the generations that wait for their next token. */
    public int step(List<Generation> generations) {
        return step(generations, 0);
    }

    /**
     * One step: every generation that waits for its next token (prompt evaluated, not finished)
     * evaluates it, and generations still reading their prompt evaluate up to
     * {@code promptTokens} of it between them, in list order (the decoder's room, given when it
     * was made; 0 for PHD models), all in one forward pass. Then each samples, streams and checks
     * its stops as it would alone. Each must belong to a different session of this model.
     * Returns how many generations took part.
     */
    public int step(List<Generation> generations, int promptTokens) {
        if (promptTokens < 0 || promptTokens > promptRoom) throw new IllegalArgumentException(promptTokens + " prompt tokens, room for " + promptRoom);
        Generation[] batch = new Generation[maxSequences];
        int[] len = new int[maxSequences];
        n = r = nLogits = 0;
        for (Generation g : generations) {
            if (g.decoding()) {
                add(g.session(), new int[] {g.nextToken()}, true);
                len[n - 1] = 1;
            } else if (!g.done() && promptTokens > 0) {
                int[] chunk = g.promptChunk(promptTokens);
                promptTokens -= chunk.length;
                add(g.session(), chunk, chunk.length == g.promptRemaining());
                len[n - 1] = -chunk.length; // a prompt chunk
            } else {
                continue;
            }
            batch[n - 1] = g;
        }
        if (n == 0) return 0;
        long t0 = System.nanoTime();
        run();
        long nanos = System.nanoTime() - t0;
        for (int i = 0, j = 0; i < n; i++) {
            boolean logit = len[i] > 0 || -len[i] == batch[i].promptRemaining();
            int at = logit ? j++ * vocab : -1;
            if (len[i] > 0) batch[i].decodeAccept(logits, at, nanos);
            else batch[i].promptEvaluated(-len[i], logits, at, nanos);
        }
        return n;
    }

    /**
     * Evaluates next[i] after what sessions[i] has seen, for i < count, in one forward pass;
     * returns the next-token logits, sequence i's at [i * vocab ..) (a buffer the next call reuses).
     */
    float[] evaluate(Session[] sessions, int[] next, int count) {
        if (count < 1 || count > maxSequences) throw new IllegalArgumentException(count + " sequences, limit " + maxSequences);
        n = r = nLogits = 0;
        for (int i = 0; i < count; i++) add(sessions[i], new int[] {next[i]}, true);
        run();
        return logits;
    }

    /** Appends a sequence to the pass: its K copies of each of {@code input}, the logits after the last if asked. */
    private void add(Session s, int[] input, boolean logit) {
        if (s.model() != model) throw new IllegalArgumentException("a session of another model");
        if (n == maxSequences) throw new IllegalArgumentException("more than " + maxSequences + " sequences in a pass");
        s.checkPositions(input.length);
        sessions[n] = s;
        caches[n] = s.cache();
        rows[n] = input.length * k;
        for (int j = 0; j < input.length; j++) {
            for (int c = 1; c <= k; c++, r++) {
                tokens[r] = input[j];
                positions[r] = s.position() + j;
                copies[r] = c;
            }
        }
        if (logit) logitRows[nLogits++] = r - 1; // the last position's copy K
        n++;
    }

    /** Runs the assembled pass and moves each session on by the positions it had in it. */
    private void run() {
        forward.run(caches, rows, n, tokens, positions, copies, logitRows, nLogits, logits, null);
        for (int i = 0; i < n; i++) sessions[i].advanced(rows[i] / k); // once each: Forward refuses a repeated cache
    }
}
