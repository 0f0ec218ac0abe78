package phd4j.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The activation kernels against plain double-precision loops, on lengths that are not multiples of the vector width. */
class OpsTest {
    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 15, 16, 17, 63, 257})
    void dotAxpyAddRmsNorm(int n) {
        Random r = new Random(n);
        float[] a = random(r, n + 5), b = random(r, n + 3), w = random(r, n);
        double dot = 0, ss = 0;
        for (int i = 0; i < n; i++) {
            dot += (double) a[5 + i] * b[3 + i];
            ss += (double) a[5 + i] * a[5 + i];
        }
        assertEquals(dot, Ops.dot(a, 5, b, 3, n), 1e-4 * Math.max(1, Math.abs(dot)));

        float[] y = b.clone();
        Ops.axpy(0.5f, a, 5, y, 3, n);
        for (int i = 0; i < n; i++) assertEquals(b[3 + i] + 0.5 * a[5 + i], y[3 + i], 1e-5);
        assertEquals(b[0], y[0], "elements before the offset untouched");

        float[] z = b.clone();
        Ops.add(a, 5, z, 3, n);
        for (int i = 0; i < n; i++) assertEquals(b[3 + i] + a[5 + i], z[3 + i], 1e-6);

        float[] out = new float[n + 2];
        Ops.rmsNorm(a, 5, w, 1e-5f, out, 2, n);
        double scale = 1 / Math.sqrt(ss / n + 1e-5);
        for (int i = 0; i < n; i++) assertEquals(a[5 + i] * scale * w[i], out[2 + i], 1e-4);
    }

    @Test
    void softmaxAndSwiglu() {
        float[] x = {0f, 1000f, 1f, 2f, 3f, 0f};
        Ops.softmax(x, 2, 3);
        double z = Math.exp(-2) + Math.exp(-1) + 1;
        assertEquals(Math.exp(-2) / z, x[2], 1e-6);
        assertEquals(1 / z, x[4], 1e-6);
        assertEquals(1000f, x[1], "outside the range untouched");

        float[] g = {-2f, 0f, 3f}, u = {1f, 5f, 2f};
        Ops.swiglu(g, 0, u, 0, g, 0, 3);
        assertEquals(-2 / (1 + Math.exp(2)), g[0], 1e-6);
        assertEquals(0, g[1], 1e-7);
        assertEquals(3 / (1 + Math.exp(-3)) * 2, g[2], 1e-5);

        // vector lanes and tail, into a separate output, inputs untouched
        Random r = new Random(5);
        float[] gate = random(r, 40), up = random(r, 40), out = new float[41];
        float[] gateBefore = gate.clone();
        Ops.swiglu(gate, 1, up, 2, out, 1, 37);
        for (int i = 0; i < 37; i++) {
            double gi = gate[1 + i];
            assertEquals(gi / (1 + Math.exp(-gi)) * up[2 + i], out[1 + i], 1e-6);
        }
        assertEquals(0f, out[0]);
        assertArrayEquals(gateBefore, gate);
    }

    /** GEGLU, soft-capping and per-head RMSNorm against double-precision formulas, over vector lanes and tails. */
    @Test
    void gegluSoftcapAndHeadNorms() {
        Random r = new Random(9);
        float[] gate = random(r, 45), up = random(r, 45), out = new float[46];
        gate[3] = 12f;  // tanh saturates: gelu(g) = g
        gate[4] = -12f; // gelu(g) = 0
        Ops.geglu(gate, 1, up, 2, out, 1, 41);
        for (int i = 0; i < 41; i++) {
            double g = gate[1 + i];
            double gelu = 0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g)));
            assertEquals(gelu * up[2 + i], out[1 + i], 1e-5 * Math.max(1, Math.abs(gelu * up[2 + i])), "element " + i);
        }
        assertEquals(0f, out[0]);

        float[] x = random(r, 40);
        for (int i = 0; i < x.length; i++) x[i] *= 20;
        x[7] = Float.NEGATIVE_INFINITY;  // a masked score, in the vector part
        x[38] = Float.NEGATIVE_INFINITY; // and in the tail
        float[] before = x.clone();
        Ops.softcap(x, 1, 38, 5f);
        for (int i = 1; i < 39; i++) {
            if (before[i] == Float.NEGATIVE_INFINITY) assertEquals(Float.NEGATIVE_INFINITY, x[i], "masked stays masked");
            else assertEquals(5 * Math.tanh(before[i] / 5), x[i], 2e-6 * 5, "element " + i);
        }
        assertEquals(before[0], x[0]);
        assertEquals(before[39], x[39]);

        int heads = 3, hd = 6;
        float[] q = random(r, 2 + heads * hd), w = random(r, hd), expect = q.clone();
        for (int h = 0; h < heads; h++) {
            double ss = 0;
            for (int i = 0; i < hd; i++) ss += (double) q[2 + h * hd + i] * q[2 + h * hd + i];
            double scale = 1 / Math.sqrt(ss / hd + 1e-6);
            for (int i = 0; i < hd; i++) expect[2 + h * hd + i] = (float) (q[2 + h * hd + i] * scale * w[i]);
        }
        Ops.rmsNormHeads(q, 2, heads, hd, w, 1e-6f);
        assertArrayEquals(expect, q, 1e-5f);
    }

    /** RoPE against the textbook complex rotation, in both pairings, with a partial rotary dimension. */
    @Test
    void ropeRotatesPairsByPositionDependentAngles() {
        int headDim = 8, ropeDim = 6, heads = 2, pos = 7;
        float base = 10000f;
        for (Rope.Style style : Rope.Style.values()) {
            Random r = new Random(1);
            float[] x = random(r, heads * headDim);
            float[] expect = x.clone();
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < ropeDim / 2; i++) {
                    double theta = pos * Math.pow(base, -2.0 * i / ropeDim);
                    int a = h * headDim + (style == Rope.Style.NORMAL ? 2 * i : i);
                    int b = style == Rope.Style.NORMAL ? a + 1 : a + ropeDim / 2;
                    expect[a] = (float) (x[a] * Math.cos(theta) - x[b] * Math.sin(theta));
                    expect[b] = (float) (x[a] * Math.sin(theta) + x[b] * Math.cos(theta));
                }
            }
            Rope rope = new Rope(style, headDim, ropeDim, base, 1f);
            float[] cos = new float[rope.tableSize()], sin = new float[rope.tableSize()];
            rope.angles(pos, cos, sin, 0);
            rope.rotate(x, 0, heads, cos, sin, 0);
            for (int i = 0; i < x.length; i++) assertEquals(expect[i], x[i], 1e-5, style + " element " + i);
            assertEquals(expect[6], x[6], 0.0, "dimensions past ropeDim pass through");
        }
    }
}
