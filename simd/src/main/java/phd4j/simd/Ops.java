package phd4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector kernels on activation rows (heap float arrays with offsets): the element-wise and
 * reduction steps of a transformer layer. Weight matrices go through {@link MatMul} instead.
 */
public final class Ops {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Ops() {}

    /** Sum of a[ao + i] * b[bo + i] for i < n. */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += a[ao + i] * b[bo + i];
        return sum;
    }

    /**
     * Sum of a[ao + i] * b[bo + i] for i < n, the lanes added in a fixed order (training's dot
     * products). Not {@link #dot}: its reduceLanes may add lanes in another order once compiled
     * than when interpreted, which would make a resumed training run (compiled from its first
     * step) differ in the last bits from a cold one.
     */
    public static float dotInOrder(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
        }
        float sum = 0;
        for (int l = 0; l < S.length(); l++) sum += acc.lane(l);
        for (; i < n; i++) sum = Math.fma(a[ao + i], b[bo + i], sum);
        return sum;
    }

    /** y[yo + i] += alpha * x[xo + i] for i < n. */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).fma(va, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /** y[yo + i] += x[xo + i] for i < n (the residual connection). */
    public static void add(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).add(FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += x[xo + i];
    }

    /** out = x / rms(x) * weight over n elements; eps guards the division as in RMSNorm. */
    public static void rmsNorm(float[] x, int xo, float[] weight, float eps, float[] out, int oo, int n) {
        float ss = dot(x, xo, x, xo, n);
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        int i = 0;
        FloatVector vs = FloatVector.broadcast(S, scale);
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xo + i).mul(vs).mul(FloatVector.fromArray(S, weight, i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) out[oo + i] = x[xo + i] * scale * weight[i];
    }

    /**
     * In-place softmax of x[o .. o + n); entries of -infinity (masked keys) become exactly 0.
     * Uses {@link Exp}: the same bits in every run, whatever the thread split.
     */
    public static void softmax(float[] x, int o, int n) {
        FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) vmax = vmax.max(FloatVector.fromArray(S, x, o + i));
        float max = vmax.reduceLanes(VectorOperators.MAX);   // max is exact in any order
        for (; i < n; i++) max = Math.max(max, x[o + i]);
        scale(x, o, n, 1f / Exp.expShifted(x, o, n, max));
    }

    /** x[o + i] *= s for i < n. */
    public static void scale(float[] x, int o, int n, float s) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) FloatVector.fromArray(S, x, o + i).mul(s).intoArray(x, o + i);
        for (; i < n; i++) x[o + i] *= s;
    }

    /**
     * SwiGLU: out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + e^-g); out may be gate. Vector
     * lanes and the scalar tail do the same operations, so any split of a row gives the same bits.
     */
    public static void swiglu(float[] gate, int go, float[] up, int uo, float[] out, int oo, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, gate, go + i);
            g.div(one.add(Exp.exp(g.neg()))).mul(FloatVector.fromArray(S, up, uo + i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            float g = gate[go + i];
            out[oo + i] = g / (1f + Exp.exp(-g)) * up[uo + i];
        }
    }

    /**
     * The backward of {@link #swiglu} over [o, o + n) of every array: dUp = dOut silu(g),
     * dGate = dOut up sigma(g) (1 + g (1 - sigma(g))), sigma(g) = 1 / (1 + e^-g).
     */
    public static void swigluBackward(float[] gate, float[] up, float[] dOut, float[] dGate, float[] dUp, int o, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = o, end = o + n;
        for (int bound = o + S.loopBound(n); i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, gate, i);
            FloatVector dh = FloatVector.fromArray(S, dOut, i);
            FloatVector sg = one.div(one.add(Exp.exp(g.neg())));
            dh.mul(g).mul(sg).intoArray(dUp, i);
            dh.mul(FloatVector.fromArray(S, up, i)).mul(sg).mul(one.add(g.mul(one.sub(sg)))).intoArray(dGate, i);
        }
        for (; i < end; i++) {
            float g = gate[i];
            float sg = 1f / (1f + Exp.exp(-g));
            dUp[i] = dOut[i] * g * sg;
            dGate[i] = dOut[i] * up[i] * sg * (1f + g * (1f - sg));
        }
    }

    /**
     * RMSNorm of each of {@code heads} consecutive heads of x (from offset o) in place, each
     * with the same weight[0 .. headDim): the query/key norms of qwen3 and gemma3.
     */
    public static void rmsNormHeads(float[] x, int o, int heads, int headDim, float[] weight, float eps) {
        for (int h = 0; h < heads; h++) rmsNorm(x, o + h * headDim, weight, eps, x, o + h * headDim, headDim);
    }

    /**
     * GEGLU with the tanh form of GELU: out[i] = gelu(gate[i]) * up[i], gelu(g) =
     * g / 2 * (1 + tanh(sqrt(2 / pi) (g + 0.044715 g^3))); out may be gate. Vector lanes and
     * the scalar tail do the same operations, so any split of a row gives the same bits.
     */
    public static void geglu(float[] gate, int go, float[] up, int uo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, gate, go + i);
            FloatVector inner = g.mul(g).fma(GELU_A, 1f).mul(g).mul(SQRT_2_OVER_PI);
            g.mul(0.5f).mul(tanh(inner).add(1f)).mul(FloatVector.fromArray(S, up, uo + i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) {
            float g = gate[go + i];
            float inner = Math.fma(g * g, GELU_A, 1f) * g * SQRT_2_OVER_PI;
            out[oo + i] = g * 0.5f * (tanh(inner) + 1f) * up[uo + i];
        }
    }

    private static final float GELU_A = 0.044715f;
    private static final float SQRT_2_OVER_PI = 0.7978845608f;

    /**
     * Soft-capping, x[o + i] = cap * tanh(x[o + i] / cap): scores and logits are squashed into
     * (-cap, cap) smoothly (gemma2). -infinity (a masked key) stays -infinity, so the cap may
     * come before or after the mask.
     */
    public static void softcap(float[] x, int o, int n, float cap) {
        float inv = 1f / cap;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, o + i);
            tanh(v.mul(inv)).mul(cap).blend(v, v.eq(Float.NEGATIVE_INFINITY)).intoArray(x, o + i);
        }
        for (; i < n; i++) {
            if (x[o + i] != Float.NEGATIVE_INFINITY) x[o + i] = tanh(x[o + i] * inv) * cap;
        }
    }

    /** tanh(y) = 1 - 2 / (e^2y + 1): exactly -1 or 1 once e^2y under- or overflows. */
    private static FloatVector tanh(FloatVector y) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        return one.sub(FloatVector.broadcast(S, 2f).div(Exp.exp(y.add(y)).add(one)));
    }

    private static float tanh(float y) {
        return 1f - 2f / (Exp.exp(y + y) + 1f);
    }
}
