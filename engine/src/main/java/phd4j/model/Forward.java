package phd4j.model;

import phd4j.phd.PhdConfig;
import phd4j.simd.MatMul;
import phd4j.simd.Ops;
import phd4j.simd.Rope;
import phd4j.simd.WorkerPool;

/**
 * The forward pass of a Llama-family (PHD) model over a batch of token rows, with its activation
 * buffers; what a sequence keeps between passes is its {@link KvCache}. A batch holds the rows of
 * one sequence (a prompt, a PHD step's K copies) or of several (a server's decode step: each
 * sequence's next token), in contiguous runs, one per sequence: the matmuls run over all rows at
 * once, attention per sequence against its own cache. A row is one copy of one position: (token, position p, copy s),
 * copy 1 the original, 2..K the hidden decoding tokens, all copies with the same embedding and
 * RoPE position. Every weight matrix is applied to all rows of a batch in one multi-row matmul,
 * so a weight block is read once per batch: a PHD decode step is one pass over K rows. The rows
 * and the mask between them are the {@link Batch}; attention over it is {@link Attention}; this
 * class holds the activations and the layer loop.
 *
 * <p>Per layer, for a batch of n rows:
 * <pre>
 *   xb = rmsnorm(x) * attn_norm                     [n][dim]
 *   q = xb Wq^T, k = xb Wk^T, v = xb Wv^T           [n][qDim], [n][kvDim], [n][kvDim]
 *   (+ q, k, v biases; rmsnorm of each q and k head)  when the model has them (qwen2; qwen3, gemma3)
 *   rope(q), rope(k) at each row's position
 *   att = softmax(cap(q k^T * queryScale)) v        per head, over the keys the PHD mask allows:
 *         originals in the ring, hidden tokens in the window, rows of this batch
 *         (and on a local layer only those of the last slidingWindow positions)
 *   x += post(att Wo^T)                             [n][dim], post: an RMSNorm or nothing (gemma)
 *   originals' k, v -> ring; hidden k, v -> window (SWA/CSWA)
 *   xb = rmsnorm(x) * ffn_norm
 *   x += post((act(xb Wgate^T) * (xb Wup^T)) Wdown^T)  [n][ffn] -> [n][dim], act: silu or gelu
 * </pre>
 * then logits = cap(rmsnorm(x) * output_norm Wout^T) for the rows asked for; the embeddings are
 * scaled first (gemma). Every option is {@link LlamaConfig}'s or a tensor's: one loop for all
 * architectures.
 */
public final class Forward {
    /** Batch rows from which per-row steps (norms, RoPE, SwiGLU, residual adds) are split over the pool. */
    private static final int MIN_PARALLEL_ROWS = 16;

    private final LlamaConfig c;
    private final ModelShape shape; // c.shape()
    private final LlamaWeights w;
    private final PhdConfig phd;
    private final WorkerPool pool;
    private final RopeTables rope;      // the global layers' (all layers without a sliding window)
    private final RopeTables localRope; // the local layers', null without a sliding window
    private final int maxBatch;

    private final Batch batch;          // the rows being run and their mask
    private final Attention attention;  // over the batch, from q, qSink, k, v into att
    private final Batch.RowMover moveRow = this::moveRow;

    // Activations, [maxBatch][width] row-major.
    private final float[] x;          // residual stream [dim]
    private final float[] xb;         // normed input of a sub-layer [dim]
    private final float[] q;          // queries rotated at their absolute position [qDim]
    private final float[] qSink;      // queries rotated at the StreamingLLM position, for sink keys [qDim]
    private final float[] k;          // [kvDim]
    private final float[] v;          // [kvDim]
    private final float[] att;        // attention output [qDim]
    private final float[] proj;       // output of Wo or Wdown [dim]
    private final float[] gate;       // [ffn]
    private final float[] up;         // [ffn]

    /** A RoPE and its angle tables for the rows of the batch. */
    private static final class RopeTables {
        final Rope rope;
        final int half;
        final float[] cos, sin;           // [maxBatch][ropeDim / 2] at each row's position
        final float[] cosSink, sinSink;   // at each row's StreamingLLM position

        RopeTables(Rope rope, int maxBatch) {
            this.rope = rope;
            this.half = rope.tableSize();
            this.cos = new float[maxBatch * half];
            this.sin = new float[maxBatch * half];
            this.cosSink = new float[maxBatch * half];
            this.sinSink = new float[maxBatch * half];
        }

        void angles(int row, int pos, int sinkPos) {
            rope.angles(pos, cos, sin, row * half);
            rope.angles(sinkPos, cosSink, sinSink, row * half);
        }

        void moveRow(int from, int to) {
            for (float[] t : new float[][] {cos, sin, cosSink, sinSink}) System.arraycopy(t, from * half, t, to * half, half);
        }
    }

    public Forward(LlamaConfig c, LlamaWeights w, PhdConfig phd, WorkerPool pool, int maxBatch) {
        if (maxBatch < phd.k()) throw new IllegalArgumentException("batch of " + maxBatch + " rows cannot hold the " + phd.k() + " copies of a position");
        this.c = c;
        this.shape = c.shape();
        this.w = w;
        this.phd = phd;
        this.pool = pool;
        this.rope = new RopeTables(c.rope(w.ropeFreqs), maxBatch);
        this.localRope = c.slidingWindow() != null ? new RopeTables(c.localRope(), maxBatch) : null;
        this.maxBatch = maxBatch;
        this.batch = new Batch(phd, maxBatch);
        this.x = new float[maxBatch * shape.dim()];
        this.xb = new float[maxBatch * Math.max(shape.dim(), shape.qDim())];
        this.q = new float[maxBatch * shape.qDim()];
        this.qSink = new float[maxBatch * shape.qDim()];
        this.k = new float[maxBatch * shape.kvDim()];
        this.v = new float[maxBatch * shape.kvDim()];
        this.att = new float[maxBatch * shape.qDim()];
        this.proj = new float[maxBatch * shape.dim()];
        this.gate = new float[maxBatch * shape.ffn()];
        this.up = new float[maxBatch * shape.ffn()];
        this.attention = new Attention(c, batch, pool, maxBatch, q, qSink, k, v, att);
    }

    /** A cache for one sequence of this model: {@code capacity} originals, {@code keep} of them sinks. */
    public KvCache newCache(int capacity, int keep) {
        return new KvCache(c, phd, capacity, keep);
    }

    public int maxBatch() {
        return maxBatch;
    }

    /**
     * Runs a batch of n rows: row i is copy copies[i] (1..K) of tokens[i] at position
     * positions[i]. Rows come in position-major order, all copies of a position in the same
     * batch, and the first position is the one after everything cached. Writes the logits of rows
     * logitRows[0 .. nLogits) into logits[j * vocab ..]. {@code hiddenFrom} (null: all) says
     * which hidden rows each layer needs, as {@link PhdConfig#hiddenCone}: layer l drops the
     * hidden rows of positions before hiddenFrom[l], and of those it keeps computes only the keys
     * and values of positions before hiddenFrom[l + 1]. It must keep every logit row.
     */
    public void run(KvCache cache, int[] tokens, int[] positions, int[] copies, int n, int[] logitRows, int nLogits, float[] logits, int[] hiddenFrom) {
        run(new KvCache[] {cache}, new int[] {n}, 1, tokens, positions, copies, logitRows, nLogits, logits, hiddenFrom);
    }

    /**
     * Runs a batch of the rows of {@code nSeq} sequences: sequence s has the next rows[s] rows,
     * after those of the sequences before it, and keeps its keys and values in caches[s] (each
     * cache at most once). Each sequence's rows are as {@link #run(KvCache, int[], int[], int[], int, int[], int, float[], int[])}
     * describes; logitRows index the whole batch. {@code hiddenFrom} needs a single sequence.
     */
    public void run(KvCache[] caches, int[] rows, int nSeq, int[] tokens, int[] positions, int[] copies,
            int[] logitRows, int nLogits, float[] logits, int[] hiddenFrom) {
        int n = 0;
        for (int s = 0; s < nSeq; s++) {
            if (rows[s] < 1) throw new IllegalArgumentException("sequence " + s + " has " + rows[s] + " rows");
            for (int t = 0; t < s; t++) {
                if (caches[t] == caches[s]) throw new IllegalArgumentException("sequences " + t + " and " + s + " share a cache");
            }
            n += rows[s];
        }
        if (n < 1 || n > maxBatch) throw new IllegalArgumentException("batch of " + n + " rows, limit " + maxBatch);
        if (hiddenFrom != null && hiddenFrom.length != shape.layers()) {
            throw new IllegalArgumentException("hiddenFrom has " + hiddenFrom.length + " layers, the model " + shape.layers());
        }
        if (hiddenFrom != null && nSeq != 1) throw new IllegalArgumentException("hiddenFrom is for a batch of one sequence, not " + nSeq);
        for (int i = 0; i < n; i++) {
            if (tokens[i] < 0 || tokens[i] >= shape.vocab()) {
                throw new IllegalArgumentException("token id " + tokens[i] + " outside the vocabulary of " + shape.vocab());
            }
        }
        batch.set(caches, rows, nSeq, positions, copies, logitRows, nLogits);
        int dim = shape.dim();
        for (int i = 0; i < n; i++) {
            w.embed(tokens[i], x, i * dim);
            if (c.embeddingScale() != 1f) Ops.scale(x, i * dim, dim, c.embeddingScale());
            int sinkPos = batch.sinkPosition(i);
            rope.angles(i, batch.rowPos[i], sinkPos);
            if (localRope != null) localRope.angles(i, batch.rowPos[i], sinkPos);
        }
        for (int l = 0; l < shape.layers(); l++) {
            if (hiddenFrom != null) batch.dropHiddenRowsBefore(hiddenFrom[l], moveRow);
            int full = batch.chooseFullRows(l, shape.layers(), hiddenFrom);
            attention(l, full);
            if (full > 0) feedForward(l, full);
        }
        batch.commitWindows();
        if (nLogits > 0) {
            for (int j = 0; j < nLogits; j++) Ops.rmsNorm(x, batch.logitRow[j] * dim, w.outputNorm, c.rmsEps(), xb, j * dim, dim);
            MatMul.multiply(pool, w.output, xb, nLogits, logits);
            if (c.finalSoftcap() > 0) Ops.softcap(logits, 0, nLogits * shape.vocab(), c.finalSoftcap());
        }
    }

    /** Row {@code from}'s residual and RoPE angles to row {@code to} (a batch that drops rows). */
    private void moveRow(int from, int to) {
        int dim = shape.dim();
        System.arraycopy(x, from * dim, x, to * dim, dim);
        rope.moveRow(from, to);
        if (localRope != null) localRope.moveRow(from, to);
    }

    /** Layer l's attention sub-layer; rows other than the first {@code full} of fullRows get only their keys and values. */
    private void attention(int l, int full) {
        LlamaWeights.Layer L = w.layers[l];
        int n = batch.n, dim = shape.dim(), qDim = shape.qDim(), kvDim = shape.kvDim(), hd = shape.headDim();
        RopeTables rt = c.isLocal(l) ? localRope : rope;
        int half = rt.half;
        forRows(n, (i0, i1) -> {
            for (int i = i0; i < i1; i++) Ops.rmsNorm(x, i * dim, L.attnNorm(), c.rmsEps(), xb, i * dim, dim);
        });
        MatMul.multiply(pool, L.wq(), xb, n, q);
        MatMul.multiply(pool, L.wk(), xb, n, k);
        MatMul.multiply(pool, L.wv(), xb, n, v);
        forRows(n, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                if (L.qBias() != null) Ops.add(L.qBias(), 0, q, i * qDim, qDim);
                if (L.kBias() != null) Ops.add(L.kBias(), 0, k, i * kvDim, kvDim);
                if (L.vBias() != null) Ops.add(L.vBias(), 0, v, i * kvDim, kvDim);
                if (L.qNorm() != null) {
                    Ops.rmsNormHeads(q, i * qDim, shape.heads(), hd, L.qNorm(), c.rmsEps());
                    Ops.rmsNormHeads(k, i * kvDim, shape.kvHeads(), hd, L.kNorm(), c.rmsEps());
                }
                System.arraycopy(q, i * qDim, qSink, i * qDim, qDim);
                rt.rope.rotate(q, i * qDim, shape.heads(), rt.cos, rt.sin, i * half);
                rt.rope.rotate(k, i * kvDim, shape.kvHeads(), rt.cos, rt.sin, i * half);
                rt.rope.rotate(qSink, i * qDim, shape.heads(), rt.cosSink, rt.sinSink, i * half);
            }
        });
        attention.run(l, full);
        if (full == 0) return;
        int[] fullRows = batch.fullRows;
        for (int r = 0; r < full; r++) {
            if (fullRows[r] != r) System.arraycopy(att, fullRows[r] * qDim, att, r * qDim, qDim);
        }
        MatMul.multiply(pool, L.wo(), att, full, proj);
        addToFullRows(full, L.postAttnNorm());
    }

    /**
     * x[fullRows[r]] += proj[r] for the first {@code full} rows of fullRows: a sub-layer's
     * residual add, proj first normed by postNorm when there is one (gemma).
     */
    private void addToFullRows(int full, float[] postNorm) {
        int dim = shape.dim();
        int[] fullRows = batch.fullRows;
        forRows(full, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                if (postNorm != null) Ops.rmsNorm(proj, r * dim, postNorm, c.rmsEps(), proj, r * dim, dim);
                Ops.add(proj, r * dim, x, fullRows[r] * dim, dim);
            }
        });
    }

    /**
     * Runs a per-row step over the batch's rows, split over the pool when the batch is large
     * enough for that to pay (a prompt batch; a decode step stays on the calling thread).
     */
    private void forRows(int rows, WorkerPool.RangeTask task) {
        if (rows < MIN_PARALLEL_ROWS) task.run(0, rows);
        else pool.parallelFor(rows, task);
    }

    /** Layer l's feed-forward sub-layer for the first {@code m} rows of fullRows. */
    private void feedForward(int l, int m) {
        LlamaWeights.Layer L = w.layers[l];
        int dim = shape.dim(), ffn = shape.ffn();
        int[] fullRows = batch.fullRows;
        forRows(m, (r0, r1) -> {
            for (int r = r0; r < r1; r++) Ops.rmsNorm(x, fullRows[r] * dim, L.ffnNorm(), c.rmsEps(), xb, r * dim, dim);
        });
        MatMul.multiply(pool, L.gate(), xb, m, gate);
        MatMul.multiply(pool, L.up(), xb, m, up);
        forRows(m, (i0, i1) -> {
            if (c.activation() == LlamaConfig.Activation.SILU) Ops.swiglu(gate, i0 * ffn, up, i0 * ffn, gate, i0 * ffn, (i1 - i0) * ffn);
            else Ops.geglu(gate, i0 * ffn, up, i0 * ffn, gate, i0 * ffn, (i1 - i0) * ffn);
        });
        MatMul.multiply(pool, L.down(), gate, m, proj);
        addToFullRows(m, L.postFfnNorm());
    }
}
