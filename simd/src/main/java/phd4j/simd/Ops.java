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
}
