package phd4j.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The F32 -> type converters: hand-computed blocks for the rounding rules that make them
 * bit-exact with ggml (ties, clamping, the sign of the Q4_0 scale, NaN), and round-trip error
 * bounds on random data. Byte equality with llama-quantize's own files is tested in the engine.
 */
class QuantizerTest {

    private static byte[] quantize(GgmlType type, float[] x) {
        byte[] out = new byte[(int) type.bytesFor(x.length)];
        Kernels.quantize(type, x, 0, x.length, MemorySegment.ofArray(out), 0);
        return out;
    }

    private static float[] roundTrip(GgmlType type, float[] x) {
        byte[] q = quantize(type, x);
        float[] back = new float[x.length];
        Kernels.of(type).dequantize(MemorySegment.ofArray(q), 0, back, 0, x.length);
        return back;
    }

    private static int half(byte[] b, int off) {
        return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8;
    }

    @Test
    void q8_0RoundsHalvesAwayFromZero() {
        float[] x = new float[32];
        // amax 127 gives d = 1 exactly, so q is just roundf(x)
        float[] vals = {127, -127, 2.5f, -2.5f, 0.5f, -0.5f, 1.4999999f, -1.5f, 0.49999997f, 0, 126.5f, -3.5f};
        System.arraycopy(vals, 0, x, 0, vals.length);
        byte[] q = quantize(GgmlType.Q8_0, x);
        assertEquals(0x3C00, half(q, 0), "d = 1.0");
        int[] expect = {127, -127, 3, -3, 1, -1, 1, -2, 0, 0, 127, -4};
        for (int j = 0; j < expect.length; j++) assertEquals(expect[j], q[2 + j], "element " + j + " = " + x[j]);
        for (int j = expect.length; j < 32; j++) assertEquals(0, q[2 + j]);
    }

    @Test
    void q8_0ZeroBlockHasZeroScale() {
        byte[] q = quantize(GgmlType.Q8_0, new float[64]);
        assertArrayEquals(new byte[68], q);
    }

    @Test
    void q8_0ScaleIsRoundedToHalf() {
        float[] x = new float[32];
        x[5] = 1; // d = 1/127, not a half: stored rounded to nearest, and q = 127 from the exact float d
        byte[] q = quantize(GgmlType.Q8_0, x);
        assertEquals(Float.floatToFloat16(1f / 127), (short) half(q, 0));
        assertEquals(127, q[2 + 5]);
    }

    @Test
    void q4_0MapsTheSignedMaximumToMinus8() {
        float[] x = new float[32];
        // the first value of largest magnitude is -8: d = -8 / -8 = 1
        float[] vals = {-8, 8, 7.5f, 7, -0.5f, 0.5f, -1.5f, 0, 3.2f, -7.9f};
        System.arraycopy(vals, 0, x, 0, vals.length);
        x[16] = 1.5f; // high nibble of byte 0
        byte[] q = quantize(GgmlType.Q4_0, x);
        assertEquals(0x3C00, half(q, 0), "d = 1.0");
        // nibble = min(15, trunc(x + 8.5)): +8 and 7.5 clamp to 15, halves round up
        int[] expect = {0, 15, 15, 15, 8, 9, 7, 8, 11, 0};
        for (int j = 0; j < expect.length; j++) assertEquals(expect[j], q[2 + j] & 0x0F, "element " + j + " = " + x[j]);
        assertEquals(10, (q[2] & 0xFF) >>> 4, "element 16 in the high nibble of byte 0");
        for (int j = 1; j < 16; j++) assertEquals(8, (q[2 + j] & 0xFF) >>> 4, "element " + (16 + j) + " is zero");
    }

    @Test
    void q4_0ScaleTakesTheSignOfTheFirstLargest() {
        float[] x = new float[32];
        x[3] = 8;   // first of the two largest magnitudes: d = 8 / -8 = -1
        x[9] = -8;
        x[10] = 2;
        byte[] q = quantize(GgmlType.Q4_0, x);
        assertEquals(0xBC00, half(q, 0), "d = -1.0");
        assertEquals(0, q[2 + 3] & 0x0F);   // 8 * -1 + 8.5 = 0.5 -> 0
        assertEquals(15, q[2 + 9] & 0x0F);  // -8 * -1 + 8.5 = 16.5 -> 16 -> clamped 15
        assertEquals(6, q[2 + 10] & 0x0F);  // -2 + 8.5 = 6.5 -> 6
    }

    @Test
    void q4_0ZeroBlockHasNegativeZeroScaleAndMidCodes() {
        // d = 0 / -8 is negative zero (fp16 0x8000), id = 0: every code is trunc(0 + 8.5) = 8
        byte[] expect = new byte[18];
        expect[1] = (byte) 0x80;
        for (int j = 2; j < 18; j++) expect[j] = (byte) 0x88;
        assertArrayEquals(expect, quantize(GgmlType.Q4_0, new float[32]));
    }

    /** Code e of a Q5_0 or Q5_1 block whose qh is at qh and nibbles at qs. */
    private static int code5(byte[] q, int qh, int qs, int e) {
        int bits = (q[qh] & 0xFF) | (q[qh + 1] & 0xFF) << 8 | (q[qh + 2] & 0xFF) << 16 | (q[qh + 3] & 0xFF) << 24;
        int nibble = e < 16 ? q[qs + e] & 0x0F : (q[qs + e - 16] & 0xFF) >>> 4;
        return nibble | (bits >>> e & 1) << 4;
    }

    @Test
    void q5_0MapsTheSignedMaximumToMinus16() {
        float[] x = new float[32];
        // the first value of largest magnitude is -16: d = -16 / -16 = 1
        float[] vals = {-16, 16, 15.5f, 15, -0.5f, 0.5f, -1.5f, 0, 3.2f, -15.9f};
        System.arraycopy(vals, 0, x, 0, vals.length);
        x[17] = 1.5f;
        byte[] q = quantize(GgmlType.Q5_0, x);
        assertEquals(0x3C00, half(q, 0), "d = 1.0");
        // code = min(31, trunc(x + 16.5)): +16 and 15.5 clamp to 31, halves round up
        int[] expect = {0, 31, 31, 31, 16, 17, 15, 16, 19, 0};
        for (int j = 0; j < expect.length; j++) assertEquals(expect[j], code5(q, 2, 6, j), "element " + j + " = " + x[j]);
        assertEquals(18, code5(q, 2, 6, 17), "element 17: high nibble of byte 1, bit 17 of qh");
    }

    @Test
    void q5_1SpansMinToMaxIn31Steps() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) x[j] = -2 + j * 0.25f;   // -2 .. 5.75 in steps of 0.25
        x[5] = -2 + 4.5f * 0.25f;  // half way: rounds up to code 5
        byte[] q = quantize(GgmlType.Q5_1, x);
        assertEquals(Rounding.toHalf(0.25f), (short) half(q, 0), "d = (max - min) / 31");
        assertEquals(Rounding.toHalf(-2f), (short) half(q, 2), "m = min");
        for (int j = 0; j < 32; j++) assertEquals(j, code5(q, 4, 8, j), "element " + j);
    }

    @Test
    void halfRoundsToNearestEvenAndQuietsNaN() {
        assertEquals((short) 0x3C00, Rounding.toHalf(1 + 0x1p-11f), "tie -> even (down)");
        assertEquals((short) 0x3C02, Rounding.toHalf(1 + 3 * 0x1p-11f), "tie -> even (up)");
        assertEquals((short) 0x7BFF, Rounding.toHalf(65519f));
        assertEquals((short) 0x7C00, Rounding.toHalf(65520f), "overflow -> inf");
        assertEquals((short) 0x0001, Rounding.toHalf(0x1p-24f), "smallest subnormal");
        assertEquals((short) 0x0000, Rounding.toHalf(0x1p-25f), "tie with zero -> zero");
        assertEquals((short) 0x7E00, Rounding.toHalf(Float.intBitsToFloat(0x7F800001)), "NaN payload dropped");
        assertEquals((short) 0xFE00, Rounding.toHalf(Float.intBitsToFloat(0xFFC12345)), "negative NaN");
    }

    @Test
    void bf16RoundsToNearestEvenAndQuietsNaN() {
        assertEquals((short) 0x3F80, BF16Kernel.toBf16(1 + 0x1p-8f), "tie -> even (down)");
        assertEquals((short) 0x3F82, BF16Kernel.toBf16(1 + 3 * 0x1p-8f), "tie -> even (up)");
        assertEquals((short) 0x3F81, BF16Kernel.toBf16(1 + 0x1p-8f + 0x1p-20f), "above the tie -> up");
        assertEquals((short) 0x7F80, BF16Kernel.toBf16(Float.MAX_VALUE), "overflow -> inf");
        assertEquals((short) 0xFF80, BF16Kernel.toBf16(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x7FC0, BF16Kernel.toBf16(Float.intBitsToFloat(0x7F800001)), "signalling NaN made quiet");
        assertEquals((short) 0x7FE0, BF16Kernel.toBf16(Float.intBitsToFloat(0x7FA00000)), "payload's top bits kept");
    }

    @Test
    void roundTripErrorIsWithinHalfAStep() {
        SplittableRandom r = new SplittableRandom(7);
        float[] x = new float[32 * 64];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (1 + i / 32));
        float[] f16 = roundTrip(GgmlType.F16, x), bf16 = roundTrip(GgmlType.BF16, x), f32 = roundTrip(GgmlType.F32, x);
        float[] q8 = roundTrip(GgmlType.Q8_0, x), q4 = roundTrip(GgmlType.Q4_0, x);
        float[] q50 = roundTrip(GgmlType.Q5_0, x), q51 = roundTrip(GgmlType.Q5_1, x);
        assertArrayEquals(x, f32, 0f);
        for (int i = 0; i < x.length; i++) {
            assertTrue(Math.abs(f16[i] - x[i]) <= Math.abs(x[i]) * 0x1p-11f, "F16 " + i);
            assertTrue(Math.abs(bf16[i] - x[i]) <= Math.abs(x[i]) * 0x1p-8f, "BF16 " + i);
        }
        for (int b = 0; b < x.length / 32; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]));
            // half a step, plus what rounding d to fp16 moves the largest code (127 or 8 steps of 2^-11)
            float step8 = amax / 127, step4 = amax / 8, step50 = amax / 16;
            float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
            for (int j = 0; j < 32; j++) {
                min = Math.min(min, x[b * 32 + j]);
                max = Math.max(max, x[b * 32 + j]);
            }
            float step51 = (max - min) / 31;
            for (int j = 0; j < 32; j++) {
                int i = b * 32 + j;
                assertTrue(Math.abs(q8[i] - x[i]) <= step8 / 2 + amax * 0x1p-10f, "Q8_0 " + i);
                // Q4_0 codes reach -8d but only +7d: values near +amax may be off by a whole step
                assertTrue(Math.abs(q4[i] - x[i]) <= step4 * 1.01f, "Q4_0 " + i);
                assertTrue(Math.abs(q50[i] - x[i]) <= step50 * 1.01f, "Q5_0 " + i);
                // half a step, plus fp16's rounding of d (31 steps) and of m
                assertTrue(Math.abs(q51[i] - x[i]) <= step51 / 2 + (max - min + Math.abs(min)) * 0x1p-10f, "Q5_1 " + i);
            }
        }
    }

    @Test
    void rejectsPartialBlocksAndUnsupportedTypes() {
        MemorySegment dst = MemorySegment.ofArray(new byte[64]);
        assertThrows(IllegalArgumentException.class, () -> Kernels.quantize(GgmlType.Q8_0, new float[16], 0, 16, dst, 0));
        assertThrows(IllegalArgumentException.class, () -> Kernels.quantize(GgmlType.Q3_K, new float[256], 0, 256, dst, 0));
        assertTrue(Kernels.canQuantizeTo(GgmlType.Q4_0));
        assertEquals(false, Kernels.canQuantizeTo(GgmlType.Q3_K));
        assertEquals("16 values is not a multiple of the Q8_0 block size 32",
                assertThrows(IllegalArgumentException.class, () -> Kernels.quantize(GgmlType.Q8_0, new float[16], 0, 16, dst, 0)).getMessage());
    }

    @Test
    void theRegistryListsWhatItCanWriteInTableOrder() {
        assertEquals("F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K", Kernels.SUPPORTED);
        for (GgmlType t : GgmlType.values()) {
            assertEquals(java.util.List.of(Kernels.SUPPORTED.split(", ")).contains(t.toString()), Kernels.canQuantizeTo(t), t.toString());
            if (Kernels.canQuantizeTo(t)) assertTrue(t.hasKernel(), t + " is written but not read");
        }
        assertTrue(GgmlType.Q5_1.hasKernel());
        assertEquals(false, GgmlType.Q8_1.hasKernel());
    }

    @Test
    void writesAtTheGivenOffsets() {
        float[] x = new float[40];
        for (int i = 0; i < 40; i++) x[i] = i - 20;
        byte[] out = new byte[3 + 34];
        Kernels.quantize(GgmlType.Q8_0, x, 8, 32, MemorySegment.ofArray(out), 3);
        byte[] alone = quantize(GgmlType.Q8_0, java.util.Arrays.copyOfRange(x, 8, 40));
        for (int j = 0; j < 34; j++) assertEquals(alone[j], out[3 + j]);
        assertEquals(0, out[0] | out[1] | out[2]);
    }
}
