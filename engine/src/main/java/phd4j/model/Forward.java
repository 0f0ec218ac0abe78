package phd4j.model;

import phd4j.simd.MatMul;
import phd4j.simd.Ops;
import phd4j.simd.Rope;
import phd4j.simd.WorkerPool;

/**
 * The forward pass of a Llama-layout model over a batch of consecutive tokens, with the
 * activation buffers of one session. Every weight matrix is applied to all rows of the batch in
 * one multi-row matmul, so a weight block is read once per batch, not once per token.
 *
 * <p>Per layer, for a batch of n rows at positions pos0 .. pos0+n-1:
 * <pre>
 *   xb = rmsnorm(x) * attn_norm                     [n][dim]
 *   q = xb Wq^T, k = xb Wk^T, v = xb Wv^T           [n][qDim], [n][kvDim], [n][kvDim]
 *   rope(q), rope(k) at each row's position; k, v -> cache[pos]
 *   att = softmax(q k^T / sqrt(headDim)) v          per head, over cache[0 .. pos]
 *   x += att Wo^T                                   [n][dim]
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
    private final WorkerPool pool;
    private final Rope rope;
    private final KvCache cache;
    private final int maxBatch;

    // Activations, [maxBatch][width] row-major.
    private final float[] x;      // residual stream [dim]
    private final float[] xb;     // normed input of a sub-layer [dim]
    private final float[] q;      // [qDim]
    private final float[] k;      // [kvDim]
    private final float[] v;      // [kvDim]
    private final float[] att;    // attention output [qDim]
    private final float[] proj;   // output of Wo or Wdown [dim]
    private final float[] gate;   // [ffn]
    private final float[] up;     // [ffn]
    private final float[] scores; // [heads][capacity] attention weights, one row per head
    private final float[] cos;    // [ropeDim / 2]
    private final float[] sin;

    public Forward(LlamaConfig c, LlamaWeights w, WorkerPool pool, int capacity, int maxBatch) {
        this.c = c;
        this.w = w;
        this.pool = pool;
        this.rope = c.rope();
        this.cache = new KvCache(c.layers(), capacity, c.kvDim());
        this.maxBatch = maxBatch;
        this.x = new float[maxBatch * c.dim()];
        this.xb = new float[maxBatch * Math.max(c.dim(), c.qDim())];
        this.q = new float[maxBatch * c.qDim()];
        this.k = new float[maxBatch * c.kvDim()];
        this.v = new float[maxBatch * c.kvDim()];
        this.att = new float[maxBatch * c.qDim()];
        this.proj = new float[maxBatch * c.dim()];
        this.gate = new float[maxBatch * c.ffnDim()];
        this.up = new float[maxBatch * c.ffnDim()];
        this.scores = new float[c.heads() * capacity];
        this.cos = new float[rope.tableSize()];
        this.sin = new float[rope.tableSize()];
    }

    public KvCache cache() {
        return cache;
    }

    public int maxBatch() {
        return maxBatch;
    }

    /** Bytes of the activation buffers (excluding the KV cache). */
    public long scratchBytes() {
        return 4L * (x.length + xb.length + q.length + k.length + v.length + att.length + proj.length
                + gate.length + up.length + scores.length);
    }

    /**
     * Runs tokens[from .. from+n) at positions pos0 .. pos0+n-1 (n <= maxBatch), writing their
     * keys and values into the cache. If logits is not null, writes the logits of the last
     * {@code logitRows} rows into logits[0 .. logitRows * vocab).
     */
    public void run(int[] tokens, int from, int n, int pos0, float[] logits, int logitRows) {
        if (n < 1 || n > maxBatch) throw new IllegalArgumentException("batch of " + n + " rows, limit " + maxBatch);
        if (pos0 < 0 || pos0 + n > cache.capacity()) {
            throw new IllegalArgumentException("positions " + pos0 + ".." + (pos0 + n - 1) + " exceed the context of " + cache.capacity());
        }
        int dim = c.dim();
        for (int i = 0; i < n; i++) {
            int t = tokens[from + i];
            if (t < 0 || t >= c.vocabSize()) throw new IllegalArgumentException("token id " + t + " outside the vocabulary of " + c.vocabSize());
            w.embed(t, x, i * dim);
        }
        for (int l = 0; l < c.layers(); l++) {
            attention(l, n, pos0);
            feedForward(l, n);
        }
        if (logits != null) {
            if (logitRows < 1 || logitRows > n) throw new IllegalArgumentException("logit rows " + logitRows + " of " + n);
            int first = n - logitRows;
            for (int i = 0; i < logitRows; i++) Ops.rmsNorm(x, (first + i) * dim, w.outputNorm, c.rmsEps(), xb, i * dim, dim);
            MatMul.multiply(pool, w.output, xb, logitRows, logits);
        }
    }

    private void attention(int l, int n, int pos0) {
        LlamaWeights.Layer L = w.layers[l];
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim();
        for (int i = 0; i < n; i++) Ops.rmsNorm(x, i * dim, L.attnNorm(), c.rmsEps(), xb, i * dim, dim);
        MatMul.multiply(pool, L.wq(), xb, n, q);
        MatMul.multiply(pool, L.wk(), xb, n, k);
        MatMul.multiply(pool, L.wv(), xb, n, v);
        float[] kc = cache.keys[l], vc = cache.values[l];
        for (int i = 0; i < n; i++) {
            int pos = pos0 + i;
            rope.angles(pos, cos, sin);
            rope.rotate(q, i * qDim, c.heads(), cos, sin);
            rope.rotate(k, i * kvDim, c.kvHeads(), cos, sin);
            System.arraycopy(k, i * kvDim, kc, pos * kvDim, kvDim);
            System.arraycopy(v, i * kvDim, vc, pos * kvDim, kvDim);
        }
        if ((long) n * (pos0 + n) * qDim < MIN_PARALLEL_ATTENTION) {
            for (int h = 0; h < c.heads(); h++) attendHead(h, kc, vc, n, pos0);
        } else {
            pool.parallelFor(c.heads(), (h0, h1) -> {
                for (int h = h0; h < h1; h++) attendHead(h, kc, vc, n, pos0);
            });
        }
        MatMul.multiply(pool, L.wo(), att, n, proj);
        Ops.add(proj, 0, x, 0, n * dim);
    }

    /** Causal attention of head h for every row of the batch over the cached keys 0 .. pos. */
    private void attendHead(int h, float[] kc, float[] vc, int n, int pos0) {
        int hd = c.headDim(), qDim = c.qDim(), kvDim = c.kvDim();
        int kvOff = (h / (c.heads() / c.kvHeads())) * hd; // query heads share kv heads in consecutive groups
        int s = h * cache.capacity();
        float scale = (float) (1.0 / Math.sqrt(hd));
        for (int i = 0; i < n; i++) {
            int pos = pos0 + i;
            int qo = i * qDim + h * hd;
            for (int t = 0; t <= pos; t++) scores[s + t] = Ops.dot(q, qo, kc, t * kvDim + kvOff, hd) * scale;
            Ops.softmax(scores, s, pos + 1);
            java.util.Arrays.fill(att, qo, qo + hd, 0f);
            for (int t = 0; t <= pos; t++) Ops.axpy(scores[s + t], vc, t * kvDim + kvOff, att, qo, hd);
        }
    }

    private void feedForward(int l, int n) {
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
