package phd4j.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import phd4j.phd.HiddenWindow;
import phd4j.phd.OriginalKvRing;
import phd4j.phd.PhdConfig;
import phd4j.simd.AttentionOps;
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
 * so a weight block is read once per batch: a PHD decode step is one pass over K rows.
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
    /** Attention work (rows x keys x width) below which handing tasks to other threads costs more than it saves. */
    private static final long MIN_PARALLEL_ATTENTION = 1 << 15;
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

    // The batch being run: row i is copy rowCopy[i] of position rowPos[i].
    private final int[] rowPos;
    private final int[] rowCopy;
    private final int[] hiddenPos, hiddenCopy; // the batch's hidden rows as it came, in order: what the window takes
    private final int[] hiddenOrdinal;         // [maxBatch] row i's index among its sequence's (hidden rows only)
    private final int[] fullRows;              // rows the current layer computes in full, ascending
    private final int[] logitRow;              // [maxBatch] the batch rows whose logits are wanted
    private int n;

    // The sequences of the batch: sequence s has rows segBase[s] .. segBase[s] + segRows[s).
    private final KvCache[] segCache;
    private final int[] segBase, segRows;
    private final int[] segMaskOff, segWindowMaskOff; // where its batchMask and windowMask lie
    private final int[] segHiddenBase, segHiddenTotal; // its hidden rows in hiddenPos/hiddenCopy
    private final int[] segTail;                      // its first logit row (segBase + segRows if none)
    private final int[] rowSeg;                       // [maxBatch] the sequence of each row
    private int nSeg;
    // A layer's attention tasks (times the KV heads): task t is rows fullRows[taskFirst[t] .. taskEnd[t]) of sequence taskSeg[t].
    private final int[] taskSeg, taskFirst, taskEnd;

    // Activations, [maxBatch][width] row-major.
    private final float[] x;          // residual stream [dim]
    private final float[] xb;         // normed input of a sub-layer [dim]
    private final float[] q;          // queries rotated at their absolute position [qDim]
    private final float[] qSink;      // queries rotated at the StreamingLLM position, for sink keys [qDim]
    private final float[] k;          // [kvDim]
    private final float[] v;          // [kvDim]
    private final MemorySegment kRows, vRows; // k and v of the batch, off-heap for attention (see AttentionOps)
    private final float[] att;        // attention output [qDim]
    private final float[] proj;       // output of Wo or Wdown [dim]
    private final float[] gate;       // [ffn]
    private final float[] up;         // [ffn]

    // The mask of the batch being run, the same for every layer and head: computed once per run.
    // Per sequence s from segMaskOff[s] / segWindowMaskOff[s], indices relative to its first row.
    private final int[] fromRow;          // [maxBatch] first cached non-sink original row i sees
    private final boolean[] batchMask;    // [rows][rows] may row i see row j of its sequence
    private final boolean[] windowMask;   // [rows][window] may row i see hidden-window entry e of its sequence
    private final ThreadLocal<AttentionScratch> scratch = ThreadLocal.withInitial(AttentionScratch::new);

    /** Query rows (row x query head) one attention task takes: its keys are read once for all of them. */
    private static final int ATTENTION_QUERY_ROWS = 32;

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

    /** One thread's buffers for attention tasks. */
    private static final class AttentionScratch {
        float[] scores = new float[0];
        int[] qOff = new int[0], sOff = new int[0];

        void ensure(int nq, int floats) {
            if (scores.length < floats) scores = new float[floats];
            if (qOff.length < nq) {
                qOff = new int[nq];
                sOff = new int[nq];
            }
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
        this.segCache = new KvCache[maxBatch];
        this.segBase = new int[maxBatch];
        this.segRows = new int[maxBatch];
        this.segMaskOff = new int[maxBatch];
        this.segWindowMaskOff = new int[maxBatch];
        this.segHiddenBase = new int[maxBatch];
        this.segHiddenTotal = new int[maxBatch];
        this.segTail = new int[maxBatch];
        this.rowSeg = new int[maxBatch];
        this.taskSeg = new int[maxBatch];
        this.taskFirst = new int[maxBatch];
        this.taskEnd = new int[maxBatch];
        this.rowPos = new int[maxBatch];
        this.rowCopy = new int[maxBatch];
        this.hiddenPos = new int[maxBatch];
        this.hiddenCopy = new int[maxBatch];
        this.hiddenOrdinal = new int[maxBatch];
        this.fullRows = new int[maxBatch];
        this.logitRow = new int[maxBatch];
        this.x = new float[maxBatch * shape.dim()];
        this.xb = new float[maxBatch * Math.max(shape.dim(), shape.qDim())];
        this.q = new float[maxBatch * shape.qDim()];
        this.qSink = new float[maxBatch * shape.qDim()];
        this.k = new float[maxBatch * shape.kvDim()];
        this.v = new float[maxBatch * shape.kvDim()];
        Arena arena = Arena.ofAuto();
        this.kRows = arena.allocate((long) maxBatch * shape.kvDim() * Float.BYTES, 64);
        this.vRows = arena.allocate((long) maxBatch * shape.kvDim() * Float.BYTES, 64);
        this.att = new float[maxBatch * shape.qDim()];
        this.proj = new float[maxBatch * shape.dim()];
        this.gate = new float[maxBatch * shape.ffn()];
        this.up = new float[maxBatch * shape.ffn()];
        this.fromRow = new int[maxBatch];
        this.batchMask = new boolean[maxBatch * maxBatch];
        this.windowMask = new boolean[phd.keepsHiddenTokens() ? maxBatch * phd.window() : 0];
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
            n += rows[s];
        }
        if (n < 1 || n > maxBatch) throw new IllegalArgumentException("batch of " + n + " rows, limit " + maxBatch);
        if (hiddenFrom != null && hiddenFrom.length != shape.layers()) {
            throw new IllegalArgumentException("hiddenFrom has " + hiddenFrom.length + " layers, the model " + shape.layers());
        }
        if (hiddenFrom != null && nSeq != 1) throw new IllegalArgumentException("hiddenFrom is for a batch of one sequence, not " + nSeq);
        this.n = n;
        this.nSeg = nSeq;
        int dim = shape.dim();
        for (int s = 0, i = 0, hidden = 0; s < nSeq; s++) {
            for (int t = 0; t < s; t++) {
                if (caches[t] == caches[s]) throw new IllegalArgumentException("sequences " + t + " and " + s + " share a cache");
            }
            segCache[s] = caches[s];
            segBase[s] = i;
            segRows[s] = rows[s];
            segHiddenBase[s] = hidden;
            segTail[s] = i + rows[s];
            OriginalKvRing r = caches[s].ring;
            for (int end = i + rows[s]; i < end; i++) {
                int t = tokens[i];
                if (t < 0 || t >= shape.vocab()) throw new IllegalArgumentException("token id " + t + " outside the vocabulary of " + shape.vocab());
                rowSeg[i] = s;
                rowPos[i] = positions[i];
                rowCopy[i] = copies[i];
                if (copies[i] > 1) {
                    hiddenPos[hidden] = positions[i];
                    hiddenCopy[hidden] = copies[i];
                    hiddenOrdinal[i] = hidden++ - segHiddenBase[s];
                }
                w.embed(t, x, i * dim);
                if (c.embeddingScale() != 1f) Ops.scale(x, i * dim, dim, c.embeddingScale());
                int sinkPos = rowPos[i] - r.evicted(rowPos[i]);
                rope.angles(i, rowPos[i], sinkPos);
                if (localRope != null) localRope.angles(i, rowPos[i], sinkPos);
            }
            segHiddenTotal[s] = hidden - segHiddenBase[s];
            caches[s].rowsProcessed += rows[s];
            HiddenWindow win = caches[s].window;
            if (win != null && phd.variant() == PhdConfig.Variant.CSWA) {
                win.dropBefore(positions[segBase[s]] / phd.chunk() * phd.chunk()); // a new chunk empties the window
            }
        }
        System.arraycopy(logitRows, 0, logitRow, 0, nLogits);
        computeMask();
        for (int l = 0; l < shape.layers(); l++) {
            if (hiddenFrom != null) dropHiddenRowsBefore(hiddenFrom[l], nLogits);
            int full = chooseFullRows(l, hiddenFrom, nLogits);
            attention(l, full);
            if (full > 0) feedForward(l, full);
        }
        for (int s = 0; s < nSeq; s++) {
            HiddenWindow win = segCache[s].window;
            if (win != null) win.commit(segHiddenTotal[s], hiddenPos, hiddenCopy, segHiddenBase[s]);
        }
        if (nLogits > 0) {
            for (int j = 0; j < nLogits; j++) Ops.rmsNorm(x, logitRow[j] * dim, w.outputNorm, c.rmsEps(), xb, j * dim, dim);
            MatMul.multiply(pool, w.output, xb, nLogits, logits);
            if (c.finalSoftcap() > 0) Ops.softcap(logits, 0, nLogits * shape.vocab(), c.finalSoftcap());
        }
    }

    /**
     * The rows layer l computes in full, into fullRows; returns their count. The others get only
     * their keys and values (the caches, or rows in full, need them). After the last layer only
     * the logit rows are read: there attention, Wo and the FFN run from each sequence's first
     * logit row on (none at all for a sequence without logits), as llama.cpp does. Below it, every
     * original, and the hidden rows the next layer keeps.
     */
    private int chooseFullRows(int l, int[] hiddenFrom, int nLogits) {
        int m = 0;
        if (l == shape.layers() - 1) {
            for (int j = 0; j < nLogits; j++) {
                int s = rowSeg[logitRow[j]];
                segTail[s] = Math.min(segTail[s], logitRow[j]);
            }
            for (int i = 0; i < n; i++) if (i >= segTail[rowSeg[i]]) fullRows[m++] = i;
        } else {
            for (int i = 0; i < n; i++) {
                if (rowCopy[i] == 1 || hiddenFrom == null || rowPos[i] >= hiddenFrom[l + 1]) fullRows[m++] = i;
            }
        }
        return m;
    }

    /**
     * Removes the hidden rows of positions before {@code from} from the batch: no later layer reads
     * them. Their window slots (see storeKeysAndValues) stay planned, so the window takes the
     * same entries as if none had been dropped; the entries of the layers that no longer compute
     * them are never read (PhdConfig.hiddenCone).
     */
    private void dropHiddenRowsBefore(int from, int nLogits) {
        int dim = shape.dim();
        for (int j = 0; j < nLogits; j++) {
            int i = logitRow[j];
            if (rowCopy[i] > 1 && rowPos[i] < from) {
                throw new IllegalArgumentException("hiddenFrom drops logit row " + i + " (position " + rowPos[i] + ", copy " + rowCopy[i] + ")");
            }
        }
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (rowCopy[i] > 1 && rowPos[i] < from) continue;
            if (m < i) {
                rowPos[m] = rowPos[i];
                rowCopy[m] = rowCopy[i];
                hiddenOrdinal[m] = hiddenOrdinal[i];
                System.arraycopy(x, i * dim, x, m * dim, dim);
                rope.moveRow(i, m);
                if (localRope != null) localRope.moveRow(i, m);
                for (int j = 0; j < nLogits; j++) {
                    if (logitRow[j] == i) logitRow[j] = m;
                }
            }
            m++;
        }
        if (m == n) return;
        n = m;
        segRows[0] = m; // a batch of one sequence (run checks)
        computeMask();
    }

    /** Layer l's attention sub-layer; rows other than the first {@code full} of fullRows get only their keys and values. */
    private void attention(int l, int full) {
        LlamaWeights.Layer L = w.layers[l];
        int dim = shape.dim(), qDim = shape.qDim(), kvDim = shape.kvDim(), hd = shape.headDim();
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
        MemorySegment.copy(k, 0, kRows, ValueLayout.JAVA_FLOAT, 0, n * kvDim);
        MemorySegment.copy(v, 0, vRows, ValueLayout.JAVA_FLOAT, 0, n * kvDim);
        // Tasks of all sequences in one parallelFor: a decode step of eight sequences is eight
        // small tasks per KV head, too little work to hand to the pool sequence by sequence.
        int group = shape.heads() / shape.kvHeads();
        int rowsPerTask = Math.max(1, ATTENTION_QUERY_ROWS / group);
        int blocks = 0;
        long work = 0;
        for (int s = 0, f0 = 0; s < nSeg; s++) {
            int f1 = f0; // this sequence's rows in full: fullRows[f0 .. f1)
            while (f1 < full && fullRows[f1] < segBase[s] + segRows[s]) f1++;
            for (int f = f0; f < f1; f += rowsPerTask) {
                taskSeg[blocks] = s;
                taskFirst[blocks] = f;
                taskEnd[blocks++] = Math.min(f1, f + rowsPerTask);
            }
            work += (long) (f1 - f0) * (Math.min(rowPos[segBase[s]], segCache[s].ring.capacity()) + segRows[s]) * qDim;
            f0 = f1;
        }
        int tasks = blocks * shape.kvHeads(), heads = shape.kvHeads();
        if (work < MIN_PARALLEL_ATTENTION) {
            for (int t = 0; t < tasks; t++) attendBlock(l, taskSeg[t / heads], t % heads, taskFirst[t / heads], taskEnd[t / heads]);
        } else {
            pool.parallelFor(tasks, (t0, t1) -> {
                for (int t = t0; t < t1; t++) attendBlock(l, taskSeg[t / heads], t % heads, taskFirst[t / heads], taskEnd[t / heads]);
            });
        }
        for (int s = 0; s < nSeg; s++) storeKeysAndValues(l, s);
        if (full == 0) return;
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

    /**
     * The PHD mask and the ring's visibility for every row of the batch (the same in every layer),
     * sequence by sequence: rows never see those of another sequence.
     */
    private void computeMask() {
        for (int q = 0, mo = 0, wo = 0; q < nSeg; q++) {
            segMaskOff[q] = mo;
            segWindowMaskOff[q] = wo;
            OriginalKvRing ring = segCache[q].ring;
            HiddenWindow window = segCache[q].window;
            int base = segBase[q], ns = segRows[q], sinks = Math.min(ring.keep(), rowPos[base]);
            int wn = window != null ? window.count() : 0;
            for (int li = 0; li < ns; li++) {
                int i = base + li, p = rowPos[i], s = rowCopy[i];
                fromRow[i] = Math.max(sinks, ring.windowStart(p));
                for (int lj = 0; lj < ns; lj++) batchMask[mo + li * ns + lj] = batchVisible(ring, i, base + lj);
                for (int e = 0; e < wn; e++) {
                    int slot = window.slot(e);
                    windowMask[wo + li * wn + e] = phd.visible(p, s, window.position(slot), window.copy(slot));
                }
            }
            mo += ns * ns;
            wo += ns * wn;
        }
    }

    /**
     * Attention of the query heads of KV head g for batch rows fullRows[first .. end), all of sequence seg: every key
     * and value of the head is read once for all of these query rows. The scores of a row are laid
     * out as the keys are summed: sinks, ring window, hidden window, batch; a key the mask hides
     * from one row but not from another of the task gets -infinity, so softmax makes it 0.
     * Per row: sinks (scored with the StreamingLLM query), ring originals from fromRow[i], the
     * hidden tokens of the window the PHD mask allows, the batch rows batchVisible allows.
     */
    private void attendBlock(int l, int seg, int g, int first, int end) {
        if (first >= end) return;
        OriginalKvRing ring = segCache[seg].ring;
        HiddenWindow window = segCache[seg].window;
        int base = segBase[seg], ns = segRows[seg], p0 = rowPos[base]; // everything before p0 is cached
        int sinks = Math.min(ring.keep(), p0), maskOff = segMaskOff[seg], windowMaskOff = segWindowMaskOff[seg];
        int hd = shape.headDim(), qDim = shape.qDim(), kvDim = shape.kvDim();
        int group = shape.heads() / shape.kvHeads();
        int kvOff = g * hd;
        float scale = c.queryScale();
        MemorySegment rk = ring.keys(l), rv = ring.values(l);
        int from0 = Integer.MAX_VALUE;
        for (int t = first; t < end; t++) from0 = Math.min(from0, fromRow[fullRows[t]]);
        boolean local = c.isLocal(l);
        // a local layer never reads the ring before its window: the first row of the task has the lowest position
        if (local) from0 = Math.max(from0, rowPos[fullRows[first]] - c.slidingWindow().window() + 1);
        int nRing = Math.max(0, p0 - from0);
        int wn = window != null ? window.count() : 0;
        int lastRow = fullRows[end - 1];
        int jEnd = lastRow - base + 1; // the sequence's batch rows any row of the task may see: positions up to the last row's
        while (jEnd < ns && rowPos[base + jEnd] <= rowPos[lastRow]) jEnd++;
        int cRing = sinks, cWin = cRing + nRing, cBatch = cWin + wn, cols = cBatch + jEnd;

        int nq = (end - first) * group;
        AttentionScratch sc = scratch.get();
        sc.ensure(nq, nq * cols);
        float[] sb = sc.scores;
        int[] qOff = sc.qOff, sOff = sc.sOff;
        for (int r = 0; r < nq; r++) {
            int i = fullRows[first + r / group], h = g * group + r % group;
            qOff[r] = i * qDim + h * hd;
            sOff[r] = r * cols;
        }

        // Scores, key runs at a fixed stride (the ring and the window wrap around).
        if (sinks > 0) AttentionOps.scores(qSink, qOff, nq, rk, ring.offset(0) + kvOff, kvDim, sinks, hd, scale, sb, sOff, 0);
        for (int a = from0; a < p0; ) {
            int len = ringRun(ring, p0, a);
            AttentionOps.scores(q, qOff, nq, rk, ring.offset(a) + kvOff, kvDim, len, hd, scale, sb, sOff, cRing + a - from0);
            a += len;
        }
        for (int e = 0; e < wn; ) {
            int len = windowRun(window, e, wn);
            AttentionOps.scores(q, qOff, nq, window.keys(l), window.offset(window.slot(e)) + kvOff, kvDim, len, hd, scale, sb, sOff, cWin + e);
            e += len;
        }
        AttentionOps.scores(q, qOff, nq, kRows, base * kvDim + kvOff, kvDim, jEnd, hd, scale, sb, sOff, cBatch);
        for (int j = 0; j < jEnd; j++) { // batch keys at sink positions pair with the StreamingLLM queries
            if (rowCopy[base + j] == 1 && rowPos[base + j] < ring.keep()) {
                for (int r = 0; r < nq; r++) sb[sOff[r] + cBatch + j] = Ops.dot(qSink, qOff[r], k, (base + j) * kvDim + kvOff, hd) * scale;
            }
        }

        // Soft-cap, mask and softmax per query row. A local layer's row at position p sees no key at p - window or before.
        for (int r = 0; r < nq; r++) {
            int i = fullRows[first + r / group], so = sOff[r];
            if (c.attnSoftcap() > 0) Ops.softcap(sb, so, cols, c.attnSoftcap());
            if (local) {
                int last = rowPos[i] - c.slidingWindow().window(); // the last position out of the window
                for (int a = 0; a < sinks && a <= last; a++) sb[so + a] = Float.NEGATIVE_INFINITY;
                for (int a = from0; a < p0 && a <= last; a++) sb[so + cRing + a - from0] = Float.NEGATIVE_INFINITY;
                for (int e = 0; e < wn; e++) if (window.position(window.slot(e)) <= last) sb[so + cWin + e] = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < jEnd; j++) if (rowPos[base + j] <= last) sb[so + cBatch + j] = Float.NEGATIVE_INFINITY;
            }
            int li = i - base;
            for (int a = from0; a < fromRow[i] && a < p0; a++) sb[so + cRing + a - from0] = Float.NEGATIVE_INFINITY;
            for (int e = 0; e < wn; e++) if (!windowMask[windowMaskOff + li * wn + e]) sb[so + cWin + e] = Float.NEGATIVE_INFINITY;
            for (int j = 0, m = maskOff + li * ns; j < jEnd; j++) if (!batchMask[m + j]) sb[so + cBatch + j] = Float.NEGATIVE_INFINITY;
            Ops.softmax(sb, so, cols);
            Arrays.fill(att, qOff[r], qOff[r] + hd, 0f);
        }

        // Weighted values, in the same order.
        if (sinks > 0) AttentionOps.accumulate(sb, sOff, 0, nq, rv, ring.offset(0) + kvOff, kvDim, sinks, hd, att, qOff);
        for (int a = from0; a < p0; ) {
            int len = ringRun(ring, p0, a);
            AttentionOps.accumulate(sb, sOff, cRing + a - from0, nq, rv, ring.offset(a) + kvOff, kvDim, len, hd, att, qOff);
            a += len;
        }
        for (int e = 0; e < wn; ) {
            int len = windowRun(window, e, wn);
            AttentionOps.accumulate(sb, sOff, cWin + e, nq, window.values(l), window.offset(window.slot(e)) + kvOff, kvDim, len, hd, att, qOff);
            e += len;
        }
        AttentionOps.accumulate(sb, sOff, cBatch, nq, vRows, base * kvDim + kvOff, kvDim, jEnd, hd, att, qOff);
    }

    /** Cached originals from position a on (before p0) whose ring slots follow each other. */
    private int ringRun(OriginalKvRing ring, int p0, int a) {
        // Slots rise by one per position until the last slot, then wrap to the first non-sink one.
        return Math.min(p0 - a, ring.capacity() - ring.offset(a) / shape.kvDim());
    }

    /** Hidden-window entries from e on (before wn) whose slots follow each other. */
    private static int windowRun(HiddenWindow window, int e, int wn) {
        int len = 1;
        while (e + len < wn && window.slot(e + len) == window.slot(e + len - 1) + 1) len++;
        return len;
    }

    /** May row i see row j of the same sequence: the PHD mask, and for originals the ring's eviction. */
    private boolean batchVisible(OriginalKvRing ring, int i, int j) {
        int p = rowPos[i], q = rowPos[j];
        if (!phd.visible(p, rowCopy[i], q, rowCopy[j])) return false;
        return rowCopy[j] != 1 || ring.visible(q, p);
    }

    /** After layer l's attention: the current sequence's originals into its ring, its surviving hidden tokens into its window. */
    private void storeKeysAndValues(int l, int seg) {
        int kvDim = shape.kvDim();
        OriginalKvRing ring = segCache[seg].ring;
        HiddenWindow window = segCache[seg].window;
        int base = segBase[seg], ns = segRows[seg], hiddenTotal = segHiddenTotal[seg];
        MemorySegment rk = ring.keys(l), rv = ring.values(l);
        for (int i = base; i < base + ns; i++) {
            if (rowCopy[i] == 1) {
                MemorySegment.copy(k, i * kvDim, rk, ValueLayout.JAVA_FLOAT, (long) ring.offset(rowPos[i]) * Float.BYTES, kvDim);
                MemorySegment.copy(v, i * kvDim, rv, ValueLayout.JAVA_FLOAT, (long) ring.offset(rowPos[i]) * Float.BYTES, kvDim);
            } else if (window != null) {
                int slot = window.plannedSlot(hiddenOrdinal[i], hiddenTotal);
                if (slot >= 0) {
                    long at = (long) window.offset(slot) * Float.BYTES;
                    MemorySegment.copy(k, i * kvDim, window.keys(l), ValueLayout.JAVA_FLOAT, at, kvDim);
                    MemorySegment.copy(v, i * kvDim, window.values(l), ValueLayout.JAVA_FLOAT, at, kvDim);
                }
            }
        }
    }

    /** Layer l's feed-forward sub-layer for the first {@code m} rows of fullRows. */
    private void feedForward(int l, int m) {
        LlamaWeights.Layer L = w.layers[l];
        int dim = shape.dim(), ffn = shape.ffn();
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
