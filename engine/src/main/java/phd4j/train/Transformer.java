package phd4j.train;

import java.util.Arrays;
import phd4j.model.ModelShape;
import phd4j.simd.Exp;
import phd4j.simd.Gemm;
import phd4j.simd.Ops;
import phd4j.simd.Rope;
import phd4j.simd.WorkerPool;

/**
 * Forward and backward pass of a Llama-layout PHD-Transformer for training, in the style of llm.c's
 * train_gpt2.c: parameters and gradients are each one flat float array carved by {@link ParamLayout};
 * activations are named buffers kept for the backward pass; each layer's forward and backward
 * steps sit side by side below with their shapes.
 *
 * <p>A batch is B sequences of T positions. Each sequence becomes R1 = K*T rows in the
 * {@link PhdRows} layout (originals first, then hidden copies), so a batch has R = B*K*T rows,
 * row b*R1 + i. The loss is the mean cross-entropy of copy K's logits over the B*T positions.
 *
 * <p>Not thread-safe; the matrix products and row-wise steps run on the given pool. Results are
 * bit-identical for the same inputs whatever the thread count (every sum has a fixed order).
 */
public final class Transformer {
    final ModelSpec spec;
    final ParamLayout layout;
    final PhdRows phdRows;
    final int batch;
    private final WorkerPool pool;

    /** All parameters, all gradients (same layout). */
    public final float[] params, grads;
    /** Transposed matrices W^T [in][out], same offsets as params; refreshed by each forward. */
    private final float[] paramsT;

    // sizes
    private final int layers, d, kvd, hd, heads, kvHeads, ffn, vocab, t, k, seqRows, rows, n, maxKeys;
    private final float attScale;

    // rope tables [T][hd/2]; negSin rotates back in the backward pass
    private final float[] cos, sin, negSin;
    private final Rope rope;

    // activations, per layer l (rows = R)
    private final float[][] res;              // [L+1][R][d] residual stream entering layer l; res[L] leaves the last
    private final float[][] xn1, rstd1;       // [R][d], [R]   attention RMSNorm out, 1/rms
    private final float[][] q, kk, v;         // [R][d], [R][kvd], [R][kvd]   after RoPE (q, k)
    private final float[][] att;              // [R][heads][maxKeys] softmax probabilities over the allowed keys
    private final float[][] ao;               // [R][d]        attention output (heads concatenated), before Wo
    private final float[][] mid;              // [R][d]        res + attention
    private final float[][] xn2, rstd2;       // [R][d], [R]   FFN RMSNorm out
    private final float[][] gate, up, hh;     // [R][ffn]      pre-activation gate, up, silu(gate) * up
    private final float[] xk, xnf, rstdf;     // [N][d], [N][d], [N]   copy-K rows (N = B*T), final norm
    private final float[] logits;             // [N][vocab]    logits, then (after loss) dLoss/dlogits
    private int[] tokens, targets;            // [B][T]
    private final double[] rowLoss;           // [N] per-position loss of the last forward

    // backward scratch
    private final float[] dres, dxn, dq, dk, dv, dao, dg, du, dhh, dxk;

    public Transformer(ModelSpec spec, int batch, WorkerPool pool) {
        this.spec = spec;
        this.layout = ParamLayout.of(spec);
        this.phdRows = new PhdRows(spec.phd(), spec.seqLen());
        this.batch = batch;
        this.pool = pool;
        ModelShape m = spec.shape();
        layers = m.layers(); d = m.dim(); kvd = m.kvDim(); hd = m.headDim(); heads = m.heads(); kvHeads = m.kvHeads();
        ffn = m.ffn(); vocab = m.vocab(); t = spec.seqLen(); k = spec.k();
        seqRows = phdRows.rows; rows = batch * seqRows; n = batch * t; maxKeys = phdRows.maxKeys;
        attScale = (float) (1.0 / Math.sqrt(hd));
        params = new float[layout.size()];
        grads = new float[layout.size()];
        paramsT = new float[layout.size()];

        rope = new Rope(Rope.Style.NORMAL, hd, hd, spec.ropeBase(), 1f);
        int half = hd / 2;
        cos = new float[t * half]; sin = new float[t * half]; negSin = new float[t * half];
        for (int p = 0; p < t; p++) {
            for (int i = 0; i < half; i++) {  // as Rope.angles, in StrictMath: the same bits in every run
                double theta = (double) p * (float) StrictMath.pow(spec.ropeBase(), -2.0 * i / hd);
                cos[p * half + i] = (float) StrictMath.cos(theta);
                sin[p * half + i] = (float) StrictMath.sin(theta);
            }
        }
        for (int i = 0; i < sin.length; i++) negSin[i] = -sin[i];

        int nl = layers;
        res = new float[nl + 1][rows * d];
        xn1 = new float[nl][rows * d]; rstd1 = new float[nl][rows];
        q = new float[nl][rows * d]; kk = new float[nl][rows * kvd]; v = new float[nl][rows * kvd];
        att = new float[nl][rows * heads * maxKeys];
        ao = new float[nl][rows * d]; mid = new float[nl][rows * d];
        xn2 = new float[nl][rows * d]; rstd2 = new float[nl][rows];
        gate = new float[nl][rows * ffn]; up = new float[nl][rows * ffn]; hh = new float[nl][rows * ffn];
        xk = new float[n * d]; xnf = new float[n * d]; rstdf = new float[n];
        logits = new float[n * vocab];
        rowLoss = new double[n];

        dres = new float[rows * d]; dxn = new float[rows * d]; dq = new float[rows * d];
        dk = new float[rows * kvd]; dv = new float[rows * kvd]; dao = new float[rows * d];
        dg = new float[rows * ffn]; du = new float[rows * ffn]; dhh = new float[rows * ffn];
        dxk = new float[n * d];
    }

    public ModelSpec spec() {
        return spec;
    }

    public ParamLayout layout() {
        return layout;
    }

    public int batch() {
        return batch;
    }

    /** Floats held in activation and scratch buffers (memory report). */
    public long activationFloats() {
        long per = (long) rows * (d * 6L + kvd * 2L + heads * (long) maxKeys + ffn * 3L + 2);
        return layers * per + (long) rows * d + n * (2L * d + vocab + 1)
                + (long) rows * (d * 4L + kvd * 2L + ffn * 3L) + dxk.length;
    }

    // =============================================================================================
    // Forward
    // =============================================================================================

    /**
     * Runs the model on tokens [B][T] (row-major). With targets [B][T] (the next token after each
     * position) returns the mean cross-entropy of copy K's logits and leaves dLoss/dlogits ready for
     * {@link #backward}; without, returns NaN and leaves the logits (see {@link #logits}).
     */
    public double forward(int[] tokens, int[] targets) {
        if (tokens.length != n || (targets != null && targets.length != n)) {
            throw new IllegalArgumentException("need B*T = " + n + " tokens and targets");
        }
        for (int tok : tokens) if (tok < 0 || tok >= vocab) throw new IllegalArgumentException("token " + tok + " outside vocab " + vocab);
        this.tokens = tokens;
        this.targets = targets;
        transposeMatrices();

        // embedding: res[0][row] = E[token of row's position]            [R][d]
        float[] e = params;
        int eo = layout.embedding.offset();
        float[] x0 = res[0];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < seqRows; i++) {
                int tok = tokens[b * t + phdRows.position(i)];
                System.arraycopy(e, eo + tok * d, x0, (b * seqRows + i) * d, d);
            }
        }

        for (int l = 0; l < layers; l++) layerForward(l);

        // final: gather copy K's row of every position, RMSNorm, output projection
        float[] last = res[layers];
        for (int b = 0; b < batch; b++) {
            for (int p = 0; p < t; p++) {
                System.arraycopy(last, (b * seqRows + phdRows.row(p, k)) * d, xk, (b * t + p) * d, d);
            }
        }
        rmsNormForward(xk, params, layout.outputNorm.offset(), xnf, rstdf, n);
        // logits[N][vocab] = xnf[N][d] . Wout^T[d][vocab]
        Gemm.mul(pool, n, vocab, d, xnf, 0, d, paramsT, layout.output.offset(), vocab, logits, 0, vocab, false);
        if (targets == null) return Double.NaN;
        return crossEntropy();
    }

    /** The copy-K logits of position p of sequence b after a forward without targets. */
    public float[] logits(int b, int p) {
        return Arrays.copyOfRange(logits, (b * t + p) * vocab, (b * t + p + 1) * vocab);
    }

    private void transposeMatrices() {
        for (ParamLayout.Tensor w : layout.tensors()) {
            if (w.matrix()) Gemm.transpose(pool, params, w.offset(), w.cols(), w.rows(), w.cols(), paramsT, w.offset());
        }
    }

    /** One block: attention sub-layer, then SwiGLU FFN sub-layer, each pre-normed with a residual. */
    private void layerForward(int l) {
        ParamLayout.Block w = layout.blocks[l];
        float[] x = res[l];
        // xn1 = RMSNorm(x) * attn_norm                                     [R][d]
        rmsNormForward(x, params, w.attnNorm().offset(), xn1[l], rstd1[l], rows);
        // q = xn1 Wq^T [R][d], k = xn1 Wk^T [R][kvd], v = xn1 Wv^T [R][kvd]
        linear(xn1[l], d, w.wq(), q[l]);
        linear(xn1[l], d, w.wk(), kk[l]);
        linear(xn1[l], d, w.wv(), v[l]);
        // RoPE on q and k, each row at its position p (all K copies share p)
        ropeRows(q[l], heads, sin);
        ropeRows(kk[l], kvHeads, sin);
        // ao = softmax(q k^T / sqrt(hd), PHD mask) v, per head             [R][d]
        attentionForward(l);
        // mid = x + ao Wo^T                                                [R][d]
        System.arraycopy(x, 0, mid[l], 0, rows * d);
        Gemm.mul(pool, rows, d, d, ao[l], 0, d, paramsT, w.wo().offset(), d, mid[l], 0, d, true);
        // xn2 = RMSNorm(mid) * ffn_norm                                   [R][d]
        rmsNormForward(mid[l], params, w.ffnNorm().offset(), xn2[l], rstd2[l], rows);
        // gate = xn2 Wg^T, up = xn2 Wu^T [R][ffn]; hh = silu(gate) * up
        linear(xn2[l], d, w.gate(), gate[l]);
        linear(xn2[l], d, w.up(), up[l]);
        swigluForward(gate[l], up[l], hh[l]);
        // res[l+1] = mid + hh Wd^T                                         [R][d]
        System.arraycopy(mid[l], 0, res[l + 1], 0, rows * d);
        Gemm.mul(pool, rows, d, ffn, hh[l], 0, ffn, paramsT, w.down().offset(), d, res[l + 1], 0, d, true);
    }

    /** out[R][w.rows] = in[R][inDim] . W^T. */
    private void linear(float[] in, int inDim, ParamLayout.Tensor w, float[] out) {
        Gemm.mul(pool, rows, w.rows(), inDim, in, 0, inDim, paramsT, w.offset(), w.rows(), out, 0, w.rows(), false);
    }

    // =============================================================================================
    // Backward
    // =============================================================================================

    /**
     * Adds dLoss/dparams to {@link #grads} (zero them first for a fresh step). Needs the preceding
     * {@link #forward} with targets.
     */
    public void backward() {
        if (targets == null) throw new IllegalStateException("backward needs a forward with targets");
        int nl = layers;
        // logits = xnf Wout^T: dxnf = dlogits Wout [N][d], dWout += dlogits^T xnf [vocab][d]
        // (logits holds dLoss/dlogits after crossEntropy)
        Arrays.fill(dxk, 0);
        float[] dxnf = dq; // scratch of at least N*d
        Gemm.mul(pool, n, d, vocab, logits, 0, vocab, params, layout.output.offset(), d, dxnf, 0, d, false);
        weightGrad(logits, xnf, n, vocab, d, layout.output);
        // final norm backward into dxk, then scatter to copy K's rows of dres
        rmsNormBackward(dxnf, xk, params, layout.outputNorm.offset(), rstdf, n, dxk, layout.outputNorm.offset());
        Arrays.fill(dres, 0);
        for (int b = 0; b < batch; b++) {
            for (int p = 0; p < t; p++) {
                System.arraycopy(dxk, (b * t + p) * d, dres, (b * seqRows + phdRows.row(p, k)) * d, d);
            }
        }
        for (int l = nl - 1; l >= 0; l--) layerBackward(l);
        // embedding: dE[token] += dres[row] for every row (sequential: a fixed order of sums)
        int eo = layout.embedding.offset();
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < seqRows; i++) {
                int tok = tokens[b * t + phdRows.position(i)];
                Ops.add(dres, (b * seqRows + i) * d, grads, eo + tok * d, d);
            }
        }
    }

    /** Backward of {@link #layerForward}: dres holds dL/d res[l+1] on entry and dL/d res[l] on exit. */
    private void layerBackward(int l) {
        ParamLayout.Block w = layout.blocks[l];
        // res[l+1] = mid + hh Wd^T:  dhh = dres Wd [R][ffn], dWd += dres^T hh [d][ffn]; dmid = dres (kept in dres)
        Gemm.mul(pool, rows, ffn, d, dres, 0, d, params, w.down().offset(), ffn, dhh, 0, ffn, false);
        weightGrad(dres, hh[l], rows, d, ffn, w.down());
        // hh = silu(gate) * up
        swigluBackward(gate[l], up[l], dhh, dg, du);
        // gate/up = xn2 W^T:  dxn = dg Wg + du Wu [R][d]; dWg += dg^T xn2, dWu += du^T xn2
        Gemm.mul(pool, rows, d, ffn, dg, 0, ffn, params, w.gate().offset(), d, dxn, 0, d, false);
        Gemm.mul(pool, rows, d, ffn, du, 0, ffn, params, w.up().offset(), d, dxn, 0, d, true);
        weightGrad(dg, xn2[l], rows, ffn, d, w.gate());
        weightGrad(du, xn2[l], rows, ffn, d, w.up());
        // xn2 = RMSNorm(mid): dmid += norm backward; d ffn_norm
        rmsNormBackward(dxn, mid[l], params, w.ffnNorm().offset(), rstd2[l], rows, dres, w.ffnNorm().offset());
        // mid = x + ao Wo^T:  dao = dmid Wo [R][d], dWo += dmid^T ao; dx = dmid (kept in dres)
        Gemm.mul(pool, rows, d, d, dres, 0, d, params, w.wo().offset(), d, dao, 0, d, false);
        weightGrad(dres, ao[l], rows, d, d, w.wo());
        // attention: dq [R][d], dk, dv [R][kvd] (with respect to the rotated q, k)
        attentionBackward(l);
        // RoPE backward: rotate the gradients back by -angle
        ropeRows(dq, heads, negSin);
        ropeRows(dk, kvHeads, negSin);
        // q/k/v = xn1 W^T:  dxn = dq Wq + dk Wk + dv Wv; dW += d^T xn1
        Gemm.mul(pool, rows, d, d, dq, 0, d, params, w.wq().offset(), d, dxn, 0, d, false);
        Gemm.mul(pool, rows, d, kvd, dk, 0, kvd, params, w.wk().offset(), d, dxn, 0, d, true);
        Gemm.mul(pool, rows, d, kvd, dv, 0, kvd, params, w.wv().offset(), d, dxn, 0, d, true);
        weightGrad(dq, xn1[l], rows, d, d, w.wq());
        weightGrad(dk, xn1[l], rows, kvd, d, w.wk());
        weightGrad(dv, xn1[l], rows, kvd, d, w.wv());
        // xn1 = RMSNorm(x): dx += norm backward; d attn_norm
        rmsNormBackward(dxn, res[l], params, w.attnNorm().offset(), rstd1[l], rows, dres, w.attnNorm().offset());
    }

    /** dW[out][in] += dY^T[out][m] . X[m][in], reading dY [m][out] in place. */
    private void weightGrad(float[] dy, float[] x, int m, int out, int in, ParamLayout.Tensor w) {
        Gemm.mulTransposedA(pool, out, in, m, dy, 0, out, x, 0, in, grads, w.offset(), in, true);
    }

    // =============================================================================================
    // RMSNorm: y = x / sqrt(mean(x^2) + eps) * w
    // =============================================================================================

    private void rmsNormForward(float[] x, float[] w, int wo, float[] y, float[] rstd, int nRows) {
        float eps = spec.rmsEps();
        forRows(nRows, d, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                float ss = Ops.dotInOrder(x, r * d, x, r * d, d);
                float s = (float) (1.0 / Math.sqrt(ss / d + eps)); // sqrt is exactly rounded
                rstd[r] = s;
                for (int i = 0; i < d; i++) y[r * d + i] = x[r * d + i] * s * w[wo + i];
            }
        });
    }

    /**
     * dx[r] += r dxhat - (r^3 / d) x (dxhat . x), dxhat = dy * w; dw[i] += sum_r dy x r (rows in order).
     */
    private void rmsNormBackward(float[] dy, float[] x, float[] w, int wo, float[] rstd, int nRows, float[] dx, int gwo) {
        forRows(nRows, d, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * d;
                float s = rstd[r];
                float dot = 0;
                for (int i = 0; i < d; i++) dot += dy[o + i] * w[wo + i] * x[o + i];
                float c = s * s * s * dot / d;
                for (int i = 0; i < d; i++) dx[o + i] += s * dy[o + i] * w[wo + i] - c * x[o + i];
            }
        });
        for (int r = 0; r < nRows; r++) {
            float s = rstd[r];
            int o = r * d;
            for (int i = 0; i < d; i++) grads[gwo + i] += dy[o + i] * x[o + i] * s;
        }
    }

    // =============================================================================================
    // RoPE (NORMAL pairing): rotating by -angle (negSin) is the backward of rotating by +angle
    // =============================================================================================

    private void ropeRows(float[] x, int nHeads, float[] sinTable) {
        int w = nHeads * hd, half = hd / 2;
        forRows(rows, w, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int p = phdRows.position(r % seqRows);
                rope.rotate(x, r * w, nHeads, cos, sinTable, p * half);
            }
        });
    }

    // =============================================================================================
    // SwiGLU: h = silu(g) * u, silu(g) = g sigma(g)
    // =============================================================================================

    private void swigluForward(float[] g, float[] u, float[] h) {
        forRows(rows, ffn, (r0, r1) -> Ops.swiglu(g, r0 * ffn, u, r0 * ffn, h, r0 * ffn, (r1 - r0) * ffn));
    }

    private void swigluBackward(float[] g, float[] u, float[] dh, float[] dgOut, float[] duOut) {
        forRows(rows, ffn, (r0, r1) -> Ops.swigluBackward(g, u, dh, dgOut, duOut, r0 * ffn, (r1 - r0) * ffn));
    }

    // =============================================================================================
    // Attention under the PHD mask, over the key ranges of PhdRows (originals 0..p, hidden [lo, hi))
    // =============================================================================================

    /** Key row (within the sequence) of the j-th allowed key of a query at position p with nOrig = p + 1. */
    private int keyRow(int j, int nOrig, int lo) {
        return j < nOrig ? j : t + lo + (j - nOrig);
    }

    /*
     * Keys come in two parts: the sequence's originals 0..p (a causal prefix of rows 0..T-1) and at
     * most a window of hidden rows. The originals part goes through Gemm for all query rows of a
     * (sequence, head) at once, with the masked columns computed and then dropped (zeros in P):
     * it costs seqRows x T x hd, linear in K. The hidden part stays per key. Every sum has a fixed
     * order (Gemm's ascending k, then the hidden keys in order), so results are bit-reproducible.
     */

    private void attentionForward(int l) {
        float[] qq = q[l], ks = kk[l], vs = v[l], a = att[l], out = ao[l];
        int group = heads / kvHeads;
        // one unit = one (sequence, query head)
        pool.parallelFor(batch * heads, (u0, u1) -> {
            float[] kT = new float[hd * t];        // the originals' keys of this head, transposed [hd][T]
            float[] po = new float[seqRows * t];   // scores, then probabilities, against the originals [seqRows][T]
            for (int u = u0; u < u1; u++) {
                int b = u / heads, h = u % heads, kvh = h / group, base = b * seqRows;
                Gemm.transpose(null, ks, base * kvd + kvh * hd, kvd, t, hd, kT, 0);
                Gemm.mul(null, seqRows, t, hd, qq, base * d + h * hd, d, kT, 0, t, po, 0, t, false);
                for (int i = 0; i < seqRows; i++) {
                    int p = phdRows.position(i), s = phdRows.copy(i);
                    int nOrig = p + 1, lo = phdRows.hiddenLo(p);
                    int nKeys = nOrig + phdRows.hiddenHi(p, s) - lo;
                    int qo = (base + i) * d + h * hd, ao0 = ((base + i) * heads + h) * maxKeys;
                    for (int j = 0; j < nKeys; j++) {
                        a[ao0 + j] = j < nOrig ? po[i * t + j] * attScale
                                : Ops.dotInOrder(qq, qo, ks, (base + keyRow(j, nOrig, lo)) * kvd + kvh * hd, hd) * attScale;
                    }
                    Ops.softmax(a, ao0, nKeys);
                    System.arraycopy(a, ao0, po, i * t, nOrig);
                    Arrays.fill(po, i * t + nOrig, (i + 1) * t, 0f);
                }
                // out = P_orig V_orig + sum over hidden keys of P_j v_j      [seqRows][hd]
                Gemm.mul(null, seqRows, hd, t, po, 0, t, vs, base * kvd + kvh * hd, kvd, out, base * d + h * hd, d, false);
                for (int i = 0; i < seqRows; i++) {
                    int p = phdRows.position(i), s = phdRows.copy(i);
                    int nOrig = p + 1, lo = phdRows.hiddenLo(p);
                    int nKeys = nOrig + phdRows.hiddenHi(p, s) - lo;
                    int qo = (base + i) * d + h * hd, ao0 = ((base + i) * heads + h) * maxKeys;
                    for (int j = nOrig; j < nKeys; j++) {
                        Ops.axpy(a[ao0 + j], vs, (base + keyRow(j, nOrig, lo)) * kvd + kvh * hd, out, qo, hd);
                    }
                }
            }
        });
    }

    /**
     * dP_j = dO . v_j; dv_j += P_j dO; dS_j = P_j (dP_j - sum_i P_i dP_i);
     * dq = scale sum_j dS_j k_j; dk_j += scale dS_j q. One unit per (sequence, kv head): it owns
     * that head's dk/dv rows, so the sums run in a fixed order with no races. The originals part
     * of each sum is a Gemm over all query rows, the hidden part per key.
     */
    private void attentionBackward(int l) {
        float[] qq = q[l], ks = kk[l], vs = v[l], a = att[l];
        int group = heads / kvHeads;
        pool.parallelFor(batch * kvHeads, (u0, u1) -> {
            float[] vT = new float[hd * t];              // the originals' values, transposed [hd][T]
            float[] po = new float[seqRows * t];         // P against the originals [seqRows][T]
            float[] ds = new float[seqRows * t];         // dP, then dS, against the originals [seqRows][T]
            float[] hs = new float[seqRows * maxKeys];   // dS against the hidden keys, by row
            for (int u = u0; u < u1; u++) {
                int b = u / kvHeads, kvh = u % kvHeads, base = b * seqRows;
                for (int i = 0; i < seqRows; i++) {
                    int kvo = (base + i) * kvd + kvh * hd;
                    Arrays.fill(dk, kvo, kvo + hd, 0f);
                    Arrays.fill(dv, kvo, kvo + hd, 0f);
                }
                Gemm.transpose(null, vs, base * kvd + kvh * hd, kvd, t, hd, vT, 0);
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    // dP_orig = dO V_orig^T      [seqRows][T]
                    Gemm.mul(null, seqRows, t, hd, dao, base * d + h * hd, d, vT, 0, t, ds, 0, t, false);
                    for (int i = 0; i < seqRows; i++) {
                        int p = phdRows.position(i), s = phdRows.copy(i);
                        int nOrig = p + 1, lo = phdRows.hiddenLo(p);
                        int nKeys = nOrig + phdRows.hiddenHi(p, s) - lo;
                        int qo = (base + i) * d + h * hd, ao0 = ((base + i) * heads + h) * maxKeys, ho = i * maxKeys;
                        float dot = 0;
                        for (int j = 0; j < nKeys; j++) {
                            float dpj;
                            if (j < nOrig) {
                                dpj = ds[i * t + j];
                            } else {
                                int kvo = (base + keyRow(j, nOrig, lo)) * kvd + kvh * hd;
                                dpj = Ops.dotInOrder(dao, qo, vs, kvo, hd);
                                hs[ho + j - nOrig] = dpj;
                                Ops.axpy(a[ao0 + j], dao, qo, dv, kvo, hd);
                            }
                            dot += a[ao0 + j] * dpj;
                        }
                        for (int j = 0; j < nOrig; j++) {
                            po[i * t + j] = a[ao0 + j];
                            ds[i * t + j] = a[ao0 + j] * (ds[i * t + j] - dot) * attScale;
                        }
                        Arrays.fill(po, i * t + nOrig, (i + 1) * t, 0f);
                        Arrays.fill(ds, i * t + nOrig, (i + 1) * t, 0f);
                        for (int j = nOrig; j < nKeys; j++) hs[ho + j - nOrig] = a[ao0 + j] * (hs[ho + j - nOrig] - dot) * attScale;
                    }
                    // dq = dS_orig K_orig (+ hidden)          [seqRows][hd]
                    Gemm.mul(null, seqRows, hd, t, ds, 0, t, ks, base * kvd + kvh * hd, kvd, dq, base * d + h * hd, d, false);
                    // dk_orig += dS_orig^T Q;  dv_orig += P_orig^T dO      [T][hd]
                    Gemm.mulTransposedA(null, t, hd, seqRows, ds, 0, t, qq, base * d + h * hd, d, dk, base * kvd + kvh * hd, kvd, true);
                    Gemm.mulTransposedA(null, t, hd, seqRows, po, 0, t, dao, base * d + h * hd, d, dv, base * kvd + kvh * hd, kvd, true);
                    for (int i = 0; i < seqRows; i++) {
                        int p = phdRows.position(i), s = phdRows.copy(i);
                        int nOrig = p + 1, lo = phdRows.hiddenLo(p);
                        int nKeys = nOrig + phdRows.hiddenHi(p, s) - lo;
                        int qo = (base + i) * d + h * hd, ho = i * maxKeys;
                        for (int j = nOrig; j < nKeys; j++) {
                            int kvo = (base + keyRow(j, nOrig, lo)) * kvd + kvh * hd;
                            Ops.axpy(hs[ho + j - nOrig], ks, kvo, dq, qo, hd);
                            Ops.axpy(hs[ho + j - nOrig], qq, qo, dk, kvo, hd);
                        }
                    }
                }
            }
        });
    }

    // =============================================================================================
    // Cross-entropy on copy K: loss = mean_n -log softmax(logits_n)[target_n]; logits <- dLoss/dlogits
    // =============================================================================================

    /** The loss of position p of sequence b, row b*T + p, in the last forward with targets. */
    double rowLoss(int row) {
        return rowLoss[row];
    }

    private double crossEntropy() {
        float invN = 1f / n;
        forRows(n, vocab, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * vocab, tgt = targets[r];
                if (tgt < 0 || tgt >= vocab) throw new IllegalArgumentException("target " + tgt + " outside vocab");
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < vocab; i++) max = Math.max(max, logits[o + i]);
                float target = logits[o + tgt] - max;
                float sum = Exp.expShifted(logits, o, vocab, max);   // logits now hold e^(l - max)
                rowLoss[r] = Math.log(sum) - target;
                float scale = invN / sum;
                Ops.scale(logits, o, vocab, scale);
                logits[o + tgt] -= invN;
            }
        });
        double total = 0;
        for (double x : rowLoss) total += x;
        return total / n;
    }

    /** Runs a row-wise step over the pool when there is enough work to be worth waking threads. */
    private void forRows(int nRows, int width, WorkerPool.RangeTask task) {
        if ((long) nRows * width < 1 << 14) task.run(0, nRows);
        else pool.parallelFor(nRows, task);
    }
}
