package phd4j.simd;

/**
 * The scalar rounding steps the quantizers share, chosen to match ggml bit for bit (which
 * quantizer writes which type: {@link Kernels}).
 */
public final class Rounding {
    private Rounding() {
    }

    /**
     * F32 -> IEEE half bits as ggml converts: round to nearest even (Java's conversion does the
     * same), except that every NaN becomes the quiet NaN 0x7E00 with its sign, where Java keeps payload bits.
     */
    public static short toHalf(float f) {
        if (Float.isNaN(f)) return (short) ((Float.floatToRawIntBits(f) >>> 16 & 0x8000) | 0x7E00);
        return Float.floatToFloat16(f);
    }

    /**
     * The value of largest magnitude among src[from .. from + n), with its sign, as ggml's Q4_0
     * and Q5_0 quantizers pick it: strictly greater, so the first of equal magnitudes wins (its
     * sign sets the scale's); 0 if all are zero.
     */
    static float firstLargest(float[] src, int from, int n) {
        float amax = 0, max = 0;
        for (int j = from; j < from + n; j++) {
            float v = src[j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    /**
     * C's roundf: halves round away from zero (Math.round rounds them up, so -2.5 would give -2).
     * The sum is taken in double, where it is exact, so 0.49999997f does not round up to 1.
     */
    static int roundHalfAway(float x) {
        return (int) Math.copySign(Math.floor(Math.abs(x) + 0.5), x);
    }
}
