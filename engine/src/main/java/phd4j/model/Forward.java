package phd4j.model;

import java.util.Arrays;
import phd4j.phd.HiddenWindow;
import phd4j.phd.OriginalKvRing;
import phd4j.phd.PhdConfig;
import phd4j.simd.MatMul;
import phd4j.simd.Ops;
import phd4j.simd.Rope;
import phd4j.simd.WorkerPool;

/**
 * The forward pass of a Llama-layout (PHD) model over a batch of token rows, with one session's
 * caches and activation buffers. A row is one copy of one position: (token, position p, copy s),
 * copy 1 the original, 2..K the hidden decoding tokens, all copies with the same embedding and
 * RoPE position. Every weight matrix is applied to all rows of a batch in one multi-row matmul,
 * so a weight block is read once per batch: a PHD decode step is one pass over K rows.
 *
 * <p>Per layer, for a batch of n rows:
 * <pre>
 *   xb = rmsnorm(x) * attn_norm                     [n][dim]
 *   q = xb Wq^T, k = xb Wk^T, v = xb Wv^T           [n][qDim], [n][kvDim], [n][kvDim]
 *   rope(q), rope(k) at each row's position
 *   att = softmax(q k^T / sqrt(headDim)) v          per head, over the keys the PHD mask allows:
 *         originals in the ring, hidden tokens in the window, rows of this batch
 *   x += att Wo^T                                   [n][dim]
 *   originals' k, v -> ring; hidden k, v -> window (SWA/CSWA)
 *   xb = rmsnorm(x) * ffn_norm
 *   x += (silu(xb Wgate^T) * (xb Wup^T)) Wdown^T    [n][ffn] -> [n][dim]
 * </pre>
 * then logits = rmsnorm(x) * output_norm Wout^T for the rows asked for.
 */
public final class Forward {
    /** Attention work (rows x keys x width) below which handing heads to other threads costs more than it saves. */
    private static final long MIN_PARALLEL_ATTENTION = 1 << 15;

    private final LlamaConfig c;
    private final LlamaWeights w;
    private final PhdConfig phd;
    private final WorkerPool pool;
    private final Rope rope;
    private final OriginalKvRing ring;
    private final HiddenWindow window; // null unless the variant keeps hidden tokens
    private final int maxBatch;
    private long rowsProcessed;

    // The batch being run: row i is copy rowCopy[i] of position rowPos[i].
    private final int[] rowPos;
    private final int[] rowCopy;
    private final int[] hiddenPos, hiddenCopy; // the batch's hidden rows, in order
    private int n;
    private int p0;                   // first position of the batch; everything before is cached

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
    private final float[] scores;     // [heads][scoreStride] attention weights, one row per head
    private final int scoreStride;    // most keys one row can see
    private final float[] cos, sin;           // [maxBatch][ropeDim / 2] at each row's position
    private final float[] cosSink, sinSink;   // at each row's StreamingLLM position

    public Forward(LlamaConfig c, LlamaWeights w, PhdConfig phd, WorkerPool pool, int capacity, int keep, int maxBatch) {
        if (maxBatch < phd.k()) throw new IllegalArgumentException("batch of " + maxBatch + " rows cannot hold the " + phd.k() + " copies of a position");
        this.c = c;
        this.w = w;
        this.phd = phd;
        this.pool = pool;
        this.rope = c.rope();
        this.ring = new OriginalKvRing(c.layers(), capacity, keep, c.kvDim());
        this.window = phd.keepsHiddenTokens() ? new HiddenWindow(c.layers(), phd.window(), c.kvDim()) : null;
        this.maxBatch = maxBatch;
        this.rowPos = new int[maxBatch];
        this.rowCopy = new int[maxBatch];
        this.hiddenPos = new int[maxBatch];
        this.hiddenCopy = new int[maxBatch];
        this.x = new float[maxBatch * c.dim()];
        this.xb = new float[maxBatch * Math.max(c.dim(), c.qDim())];
        this.q = new float[maxBatch * c.qDim()];
        this.qSink = new float[maxBatch * c.qDim()];
        this.k = new float[maxBatch * c.kvDim()];
        this.v = new float[maxBatch * c.kvDim()];
        this.att = new float[maxBatch * c.qDim()];
        this.proj = new float[maxBatch * c.dim()];
        this.gate = new float[maxBatch * c.ffnDim()];
        this.up = new float[maxBatch * c.ffnDim()];
        this.scoreStride = capacity + (window != null ? phd.window() : 0) + maxBatch;
        this.scores = new float[c.heads() * scoreStride];
        int half = rope.tableSize();
        this.cos = new float[maxBatch * half];
        this.sin = new float[maxBatch * half];
        this.cosSink = new float[maxBatch * half];
        this.sinSink = new float[maxBatch * half];
    }

    public OriginalKvRing ring() {
        return ring;
    }

    public int maxBatch() {
        return maxBatch;
    }

    /** KV bytes kept between steps: the original ring plus the hidden window, if any. */
    public long kvBytes() {
        return ring.bytes() + (window != null ? window.bytes() : 0);
    }

    /** Token-rows that have gone through the matmuls since this forward pass was made. */
    public long rowsProcessed() {
        return rowsProcessed;
    }

    /** Forgets every cached token. */
    public void clear() {
        if (window != null) window.clear();
    }

    /**
     * Runs a batch of n rows: row i is copy copies[i] (1..K) of tokens[i] at position
     * positions[i]. Rows come in position-major order, all copies of a position in the same
     * batch, and the first position is the one after everything cached. Writes the logits of rows
     * logitRows[0 .. nLogits) into logits[j * vocab ..].
     */
    public void run(int[] tokens, int[] positions, int[] copies, int n, int[] logitRows, int nLogits, float[] logits) {
        if (n < 1 || n > maxBatch) throw new IllegalArgumentException("batch of " + n + " rows, limit " + maxBatch);
        this.n = n;
        this.p0 = positions[0];
        int dim = c.dim(), half = rope.tableSize();
        for (int i = 0; i < n; i++) {
            int t = tokens[i];
            if (t < 0 || t >= c.vocabSize()) throw new IllegalArgumentException("token id " + t + " outside the vocabulary of " + c.vocabSize());
            rowPos[i] = positions[i];
            rowCopy[i] = copies[i];
            w.embed(t, x, i * dim);
            rope.angles(rowPos[i], cos, sin, i * half);
            rope.angles(rowPos[i] - ring.evicted(rowPos[i]), cosSink, sinSink, i * half);
        }
        if (window != null && phd.variant() == PhdConfig.Variant.CSWA) {
            window.dropBefore(p0 / phd.chunk() * phd.chunk()); // a new chunk empties the window
        }
        for (int l = 0; l < c.layers(); l++) {
            attention(l);
            feedForward(l);
        }
        if (window != null) commitHiddenRows();
        rowsProcessed += n;
        if (nLogits > 0) {
            for (int j = 0; j < nLogits; j++) Ops.rmsNorm(x, logitRows[j] * dim, w.outputNorm, c.rmsEps(), xb, j * dim, dim);
            MatMul.multiply(pool, w.output, xb, nLogits, logits);
        }
    }

    /** Records which hidden tokens the window now holds (their vectors went in layer by layer). */
    private void commitHiddenRows() {
        int h = 0;
        for (int i = 0; i < n; i++) {
            if (rowCopy[i] > 1) {
                hiddenPos[h] = rowPos[i];
                hiddenCopy[h++] = rowCopy[i];
            }
        }
        window.commit(h, hiddenPos, hiddenCopy);
    }

    private int hiddenRows() {
        int h = 0;
        for (int i = 0; i < n; i++) if (rowCopy[i] > 1) h++;
        return h;
    }

    private void attention(int l) {
        LlamaWeights.Layer L = w.layers[l];
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), half = rope.tableSize();
        for (int i = 0; i < n; i++) Ops.rmsNorm(x, i * dim, L.attnNorm(), c.rmsEps(), xb, i * dim, dim);
        MatMul.multiply(pool, L.wq(), xb, n, q);
        MatMul.multiply(pool, L.wk(), xb, n, k);
        MatMul.multiply(pool, L.wv(), xb, n, v);
        for (int i = 0; i < n; i++) {
            System.arraycopy(q, i * qDim, qSink, i * qDim, qDim);
            rope.rotate(q, i * qDim, c.heads(), cos, sin, i * half);
            rope.rotate(k, i * kvDim, c.kvHeads(), cos, sin, i * half);
            rope.rotate(qSink, i * qDim, c.heads(), cosSink, sinSink, i * half);
        }
        long work = (long) n * (Math.min(p0, ring.capacity()) + n) * qDim;
        if (work < MIN_PARALLEL_ATTENTION) {
            attendHeads(l, 0, c.heads());
        } else {
            pool.parallelFor(c.heads(), (h0, h1) -> attendHeads(l, h0, h1));
        }
        storeKeysAndValues(l);
        MatMul.multiply(pool, L.wo(), att, n, proj);
        Ops.add(proj, 0, x, 0, n * dim);
    }

    /** Attention of heads [h0, h1) for every row of the batch, over the keys the mask and the caches allow. */
    private void attendHeads(int l, int h0, int h1) {
        int hd = c.headDim(), qDim = c.qDim(), kvDim = c.kvDim();
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] rk = ring.keys(l), rv = ring.values(l);
        float[] wk = window != null ? window.keys(l) : null, wv = window != null ? window.values(l) : null;
        int sinks = Math.min(ring.keep(), p0);
        for (int h = h0; h < h1; h++) {
            int kvOff = (h / (c.heads() / c.kvHeads())) * hd; // query heads share kv heads in consecutive groups
            int s0 = h * scoreStride;
            for (int i = 0; i < n; i++) {
                int p = rowPos[i], s = rowCopy[i];
                int qo = i * qDim + h * hd;
                int from = Math.max(sinks, ring.windowStart(p)); // first cached non-sink original still visible
                int m = s0;
                // Scores, in the order the values are summed below: sinks, ring window, hidden window, batch.
                for (int a = 0; a < sinks; a++) scores[m++] = Ops.dot(qSink, qo, rk, ring.offset(a) + kvOff, hd) * scale;
                for (int a = from; a < p0; a++) scores[m++] = Ops.dot(q, qo, rk, ring.offset(a) + kvOff, hd) * scale;
                if (window != null) {
                    for (int e = 0; e < window.count(); e++) {
                        int slot = window.slot(e);
                        if (phd.visible(p, s, window.position(slot), window.copy(slot))) {
                            scores[m++] = Ops.dot(q, qo, wk, window.offset(slot) + kvOff, hd) * scale;
                        }
                    }
                }
                for (int j = 0; j < n; j++) {
                    if (!batchVisible(i, j)) continue;
                    float[] qq = rowCopy[j] == 1 && rowPos[j] < ring.keep() ? qSink : q;
                    scores[m++] = Ops.dot(qq, qo, k, j * kvDim + kvOff, hd) * scale;
                }
                Ops.softmax(scores, s0, m - s0);
                Arrays.fill(att, qo, qo + hd, 0f);
                m = s0;
                for (int a = 0; a < sinks; a++) Ops.axpy(scores[m++], rv, ring.offset(a) + kvOff, att, qo, hd);
                for (int a = from; a < p0; a++) Ops.axpy(scores[m++], rv, ring.offset(a) + kvOff, att, qo, hd);
                if (window != null) {
                    for (int e = 0; e < window.count(); e++) {
                        int slot = window.slot(e);
                        if (phd.visible(p, s, window.position(slot), window.copy(slot))) {
                            Ops.axpy(scores[m++], wv, window.offset(slot) + kvOff, att, qo, hd);
                        }
                    }
                }
                for (int j = 0; j < n; j++) {
                    if (batchVisible(i, j)) Ops.axpy(scores[m++], v, j * kvDim + kvOff, att, qo, hd);
                }
            }
        }
    }

    /** May row i see row j of the same batch: the PHD mask, and for originals the ring's eviction. */
    private boolean batchVisible(int i, int j) {
        int p = rowPos[i], q = rowPos[j];
        if (!phd.visible(p, rowCopy[i], q, rowCopy[j])) return false;
        return rowCopy[j] != 1 || ring.visible(q, p);
    }

    /** After layer l's attention: originals into the ring, the surviving hidden tokens into the window. */
    private void storeKeysAndValues(int l) {
        int kvDim = c.kvDim();
        float[] rk = ring.keys(l), rv = ring.values(l);
        int hidden = window != null ? hiddenRows() : 0;
        int j = 0;
        for (int i = 0; i < n; i++) {
            if (rowCopy[i] == 1) {
                System.arraycopy(k, i * kvDim, rk, ring.offset(rowPos[i]), kvDim);
                System.arraycopy(v, i * kvDim, rv, ring.offset(rowPos[i]), kvDim);
            } else if (window != null) {
                int slot = window.plannedSlot(j++, hidden);
                if (slot >= 0) {
                    System.arraycopy(k, i * kvDim, window.keys(l), window.offset(slot), kvDim);
                    System.arraycopy(v, i * kvDim, window.values(l), window.offset(slot), kvDim);
                }
            }
        }
    }

    private void feedForward(int l) {
        LlamaWeights.Layer L = w.layers[l];
        int dim = c.dim(), ffn = c.ffnDim();
        for (int i = 0; i < n; i++) Ops.rmsNorm(x, i * dim, L.ffnNorm(), c.rmsEps(), xb, i * dim, dim);
        MatMul.multiply(pool, L.gate(), xb, n, gate);
        MatMul.multiply(pool, L.up(), xb, n, up);
        Ops.swiglu(gate, 0, up, 0, n * ffn);
        MatMul.multiply(pool, L.down(), gate, n, proj);
        Ops.add(proj, 0, x, 0, n * dim);
    }
}
