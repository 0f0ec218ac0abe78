package phd4j.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** Exp against StrictMath.exp in double (rounded once to float), and its vector form against its scalar form. */
class ExpTest {
    /** Distance in float ulps between our result and the double-precision e^x. */
    private static double ulps(float x) {
        double truth = StrictMath.exp(x);
        float got = Exp.exp(x);
        return Math.abs(got - truth) / Math.ulp((float) truth);
    }

    @Test
    void within2UlpOverTheNormalRange() {
        double worst = 0;
        float worstX = 0;
        // every 97th float from -87 (e^x still normal) to 88.7 (below overflow), plus random draws
        for (float x = -87f; x < 88.7f; x = Math.nextUp(x + Math.ulp(x) * 97)) {
            double u = ulps(x);
            if (u > worst) { worst = u; worstX = x; }
        }
        Random r = new Random(7);
        for (int i = 0; i < 1_000_000; i++) {
            float x = (r.nextFloat() * 2 - 1) * 87f;
            double u = ulps(x);
            if (u > worst) { worst = u; worstX = x; }
        }
        assertTrue(worst <= 2, "worst error " + worst + " ulp at x = " + worstX);
    }

    @Test
    void edgesAndSpecialValues() {
        assertEquals(1f, Exp.exp(0f));
        assertEquals(1f, Exp.exp(-0f));
        assertEquals((float) Math.E, Exp.exp(1f), Math.ulp((float) Math.E));
        assertEquals(0f, Exp.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, Exp.exp(-200f));
        assertEquals(Float.POSITIVE_INFINITY, Exp.exp(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, Exp.exp(89f));
        assertTrue(Float.isNaN(Exp.exp(Float.NaN)));
        // subnormal results: within 1 ulp of the subnormal spacing
        float sub = Exp.exp(-95f);
        double truth = StrictMath.exp(-95.0);
        assertTrue(sub > 0 && Math.abs(sub - truth) <= Float.MIN_VALUE * 2, "e^-95 = " + sub + " vs " + truth);
    }

    @Test
    void vectorFormGivesTheSameBitsAsScalar() {
        var s = FloatVector.SPECIES_PREFERRED;
        Random r = new Random(11);
        float[] special = {0f, -0f, 1e-30f, -1e-30f, 88.7f, 88.8f, -87.4f, -103f, -150f, 200f,
            Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE, -Float.MAX_VALUE};
        float[] x = new float[s.length() * 4000];
        for (int i = 0; i < x.length; i++) {
            x[i] = i < special.length ? special[i] : (float) (r.nextGaussian() * (i % 3 == 0 ? 40 : 4));
        }
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i += s.length()) Exp.exp(FloatVector.fromArray(s, x, i)).intoArray(out, i);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToIntBits(Exp.exp(x[i])), Float.floatToIntBits(out[i]), "x = " + x[i]);
        }
    }

    @Test
    void expShiftedWritesEveryElementAndSumsThem() {
        Random r = new Random(3);
        for (int n : new int[] {1, 5, 16, 17, 100, 4099}) {
            float[] a = new float[n + 7];
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian() * 5;
            float[] before = a.clone();
            float sum = Exp.expShifted(a, 3, n, 2.5f);
            double expected = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(Exp.exp(before[3 + i] - 2.5f), a[3 + i]);
                expected += a[3 + i];
            }
            assertEquals(expected, sum, 1e-5 * expected);
            assertEquals(before[2], a[2]);
            assertEquals(before[3 + n], a[3 + n]);
        }
    }
}
