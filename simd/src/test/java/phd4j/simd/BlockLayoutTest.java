package phd4j.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.Test;

/**
 * Hand-built blocks with known values, encoded here straight from ggml's documented layouts:
 * these prove the byte layouts, which the reference-vs-vector tests cannot.
 */
class BlockLayoutTest {

    private static float[] dequantize(GgmlType type, byte[] bytes, int n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(bytes.length);
            MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
            float[] vector = new float[n];
            Kernels.of(type).dequantize(s, 0, vector, 0, n);
            float[] reference = new float[n];
            Kernels.reference(type).dequantize(s, 0, reference, 0, n);
            assertArrayEquals(vector, reference, 0f, "vector and reference disagree");
            return vector;
        }
    }

    private static void putHalf(byte[] b, int offset, float value) {
        short h = Float.floatToFloat16(value);
        b[offset] = (byte) h;
        b[offset + 1] = (byte) (h >> 8);
    }

    private static void putInt(byte[] b, int offset, int value) {
        for (int i = 0; i < 4; i++) b[offset + i] = (byte) (value >>> (8 * i));
    }

    /** Element e of the test blocks: a scrambled 5-bit pattern, so no two neighbours share a value. */
    private static int code(int e, int bits) {
        return (e * 7 + 3) % (1 << bits);
    }

    @Test
    void q8_0() {
        byte[] b = new byte[34];
        putHalf(b, 0, 0.5f);
        for (int j = 0; j < 32; j++) b[2 + j] = (byte) (j * 9 - 128); // -128 .. 151 wraps: covers both signs
        float[] v = dequantize(GgmlType.Q8_0, b, 32);
        for (int j = 0; j < 32; j++) assertEquals((byte) (j * 9 - 128) * 0.5f, v[j], "element " + j);
    }

    @Test
    void q4_0() {
        // d = 0.5, element j < 16 has nibble j (low nibble of byte j), element j + 16 has nibble 15 - j
        byte[] b = new byte[18];
        putHalf(b, 0, 0.5f);
        for (int j = 0; j < 16; j++) b[2 + j] = (byte) (j | (15 - j) << 4);
        float[] v = dequantize(GgmlType.Q4_0, b, 32);
        for (int j = 0; j < 16; j++) {
            assertEquals((j - 8) * 0.5f, v[j], "element " + j);
            assertEquals((15 - j - 8) * 0.5f, v[j + 16], "element " + (j + 16));
        }
    }

    @Test
    void q4_1() {
        byte[] b = new byte[20];
        putHalf(b, 0, 0.25f);
        putHalf(b, 2, -1.5f);
        for (int j = 0; j < 16; j++) b[4 + j] = (byte) (code(j, 4) | code(j + 16, 4) << 4);
        float[] v = dequantize(GgmlType.Q4_1, b, 32);
        for (int e = 0; e < 32; e++) assertEquals(code(e, 4) * 0.25f - 1.5f, v[e], "element " + e);
    }

    /** qh and nibbles of a Q5 block whose element e holds the 5-bit value code(e, 5). */
    private static void putQ5(byte[] b, int qhOffset) {
        int qh = 0;
        for (int e = 0; e < 32; e++) qh |= (code(e, 5) >> 4) << e;
        putInt(b, qhOffset, qh);
        for (int j = 0; j < 16; j++) b[qhOffset + 4 + j] = (byte) ((code(j, 5) & 15) | (code(j + 16, 5) & 15) << 4);
    }

    @Test
    void q5_0() {
        byte[] b = new byte[22];
        putHalf(b, 0, 0.5f);
        putQ5(b, 2);
        float[] v = dequantize(GgmlType.Q5_0, b, 32);
        for (int e = 0; e < 32; e++) assertEquals((code(e, 5) - 16) * 0.5f, v[e], "element " + e);
    }

    @Test
    void q5_1() {
        byte[] b = new byte[24];
        putHalf(b, 0, 0.125f);
        putHalf(b, 2, 2f);
        putQ5(b, 4);
        float[] v = dequantize(GgmlType.Q5_1, b, 32);
        for (int e = 0; e < 32; e++) assertEquals(code(e, 5) * 0.125f + 2f, v[e], "element " + e);
    }

    @Test
    void floatTypes() {
        // 17 values: one whole 16-lane vector and a scalar tail
        float[] expected = {1f, -2f, 0.5f, 65280f, 0x1p-24f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                3f, -0.75f, 1024f, 0.25f, 6f, -7f, 8f, 0x1p-14f, -1f};
        byte[] f32 = new byte[4 * expected.length];
        byte[] f16 = new byte[2 * expected.length];
        byte[] bf16 = new byte[2 * expected.length];
        for (int i = 0; i < expected.length; i++) {
            putInt(f32, 4 * i, Float.floatToIntBits(expected[i]));
            putHalf(f16, 2 * i, expected[i]);
            int upper = Float.floatToIntBits(expected[i]) >>> 16; // all the test values are exact in bf16
            bf16[2 * i] = (byte) upper;
            bf16[2 * i + 1] = (byte) (upper >> 8);
        }
        assertArrayEquals(expected, dequantize(GgmlType.F32, f32, expected.length), 0f);
        assertArrayEquals(expected, dequantize(GgmlType.F16, f16, expected.length), 0f);
        assertArrayEquals(expected, dequantize(GgmlType.BF16, bf16, expected.length), 0f);
        // known bit patterns, not produced by Java's own conversion: fp16 0x3555 and bf16 0x4049
        assertEquals(0x1.554p-2f, dequantize(GgmlType.F16, new byte[] {0x55, 0x35}, 1)[0]);
        assertEquals(3.140625f, dequantize(GgmlType.BF16, new byte[] {0x49, 0x40}, 1)[0]);
    }

    @Test
    void everyHalfConvertsLikeFloat16ToFloat() {
        int n = 1 << 16;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(2L * n);
            for (int h = 0; h < n; h++) s.set(Lanes.SHORT_LE, 2L * h, (short) h);
            float[] v = new float[n];
            Kernels.of(GgmlType.F16).dequantize(s, 0, v, 0, n);
            for (int h = 0; h < n; h++) {
                float expected = Float.float16ToFloat((short) h);
                if (Float.isNaN(expected)) {
                    assertEquals(Float.NaN, v[h], "half 0x" + Integer.toHexString(h)); // any NaN
                } else {
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(v[h]), "half 0x" + Integer.toHexString(h));
                }
            }
        }
    }
}
