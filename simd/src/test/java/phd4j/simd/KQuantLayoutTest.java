package phd4j.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;

/**
 * One hand-built super-block per K-quant type, with the expected values worked out by hand from
 * ggml's layout (not from the kernels' code), so that the layout is proven independently of the
 * scalar references. Every element is checked; the elements not set explicitly decode to their
 * sub-block's "quant 0" value.
 */
class KQuantLayoutTest {

    /*
     * Q4_K and Q5_K share these fields: d = 1.0 (fp16 0x3C00), dmin = 0.5 (0x3800) and, per
     * sub-block 0..7, scales {1, 2, 3, 63, 17, 33, 48, 5} and mins {0, 4, 62, 1, 16, 7, 40, 63},
     * packed by hand:
     *   bytes 0-3:  scale j | (scale j+4 >> 4) << 6   = 1|1<<6, 2|2<<6, 3|3<<6, 63|0<<6
     *   bytes 4-7:  min j   | (min j+4 >> 4) << 6     = 0|1<<6, 4|0<<6, 62|2<<6, 1|3<<6
     *   bytes 8-11: scale j+4 & 15 | (min j+4 & 15) << 4 = 1|0<<4, 1|7<<4, 0|8<<4, 5|15<<4
     */
    private static final byte[] K4_HEADER = bytes(
            0x00, 0x3C, 0x00, 0x38,
            0x41, 0x82, 0xC3, 0x3F,
            0x40, 0x04, 0xBE, 0xC1,
            0x01, 0x71, 0x80, 0xF5);

    /** With quant 0, an element of sub-block s is -dmin * min s. */
    private static final float[] K4_QUANT_ZERO = {0f, -2f, -31f, -0.5f, -8f, -3.5f, -20f, -31.5f};

    @Test
    void q4kHandBuiltBlock() {
        byte[] block = new byte[144];
        System.arraycopy(K4_HEADER, 0, block, 0, 16);
        int qs = 16;
        block[qs + 0] = 0x21;               // element 0: sub-block 0, low nibble 1; element 32: sub-block 1, high nibble 2
        block[qs + 32 + 5] = (byte) 0xF3;   // element 69: sub-block 2, 3; element 101: sub-block 3, 15
        block[qs + 64 + 10] = 0x7A;         // element 138: sub-block 4, 10; element 170: sub-block 5, 7
        block[qs + 96 + 31] = (byte) 0x9F;  // element 223: sub-block 6, 15; element 255: sub-block 7, 9

        float[] expected = quantZeroValues(K4_QUANT_ZERO, 32);
        expected[0] = 1 * 1 - 0f;           // d * scale * q - dmin * min
        expected[32] = 2 * 2 - 2f;
        expected[69] = 3 * 3 - 31f;
        expected[101] = 63 * 15 - 0.5f;
        expected[138] = 17 * 10 - 8f;
        expected[170] = 33 * 7 - 3.5f;
        expected[223] = 48 * 15 - 20f;
        expected[255] = 5 * 9 - 31.5f;

        checkBoth(Q4KKernel.INSTANCE, Q4KKernel::dequantizeReference, block, expected);
    }

    @Test
    void q5kHandBuiltBlock() {
        byte[] block = new byte[176];
        System.arraycopy(K4_HEADER, 0, block, 0, 16);
        int qh = 16;
        int qs = 48;
        block[qs + 0] = 0x21;
        block[qs + 32 + 5] = (byte) 0xF3;
        block[qs + 64 + 10] = 0x7A;
        block[qs + 96 + 31] = (byte) 0x9F;
        block[qh + 0] = 0b0000_0001;        // bit 0: element 0 gets +16
        block[qh + 5] = 0b0000_1000;        // bit 3: element 96 + 5 = 101 gets +16, element 69 does not
        block[qh + 10] = 0b0001_0000;       // bit 4: element 128 + 10 = 138 gets +16, element 170 does not
        block[qh + 20] = 0b0000_0010;       // bit 1: element 32 + 20 = 52 (low nibble 0) gets +16
        block[qh + 31] = (byte) 0b1100_0000; // bits 6, 7: elements 223 and 255 get +16

        float[] expected = quantZeroValues(K4_QUANT_ZERO, 32);
        expected[0] = 1 * 17 - 0f;
        expected[32] = 2 * 2 - 2f;
        expected[52] = 2 * 16 - 2f;
        expected[69] = 3 * 3 - 31f;
        expected[101] = 63 * 31 - 0.5f;
        expected[138] = 17 * 26 - 8f;
        expected[170] = 33 * 7 - 3.5f;
        expected[223] = 48 * 31 - 20f;
        expected[255] = 5 * 25 - 31.5f;

        checkBoth(Q5KKernel.INSTANCE, Q5KKernel::dequantizeReference, block, expected);
    }

    @Test
    void q6kHandBuiltBlock() {
        byte[] block = new byte[210];
        int ql = 0;
        int qh = 128;
        int scales = 192;
        byte[] sc = {1, -2, 3, -4, 5, 6, 7, 8, -128, 127, 10, 11, 12, 13, 14, -1};
        System.arraycopy(sc, 0, block, scales, 16);
        block[208] = 0x00;                  // d = 0.25 (fp16 0x3400)
        block[209] = 0x34;
        // qh[0] = 0b00_11_01_10: high bits 2 for element 0, 1 for element 32, 3 for element 64, 0 for element 96
        block[qh + 0] = 0x36;
        block[ql + 0] = (byte) 0xF5;        // low bits 5 for element 0, 15 for element 64
        block[ql + 32] = 0x0C;              // low bits 12 for element 32, 0 for element 96
        // second half, quarter 3, l = 17 (element 241): high bits in qh[32 + 17] bits 6-7,
        // low bits in the high nibble of ql[64 + 32 + 17]
        block[qh + 49] = 0x40;
        block[ql + 113] = (byte) 0xA0;

        // quant 0 everywhere else: q - 32 = -32, times d = 0.25, times the sub-block's scale
        float[] quantZero = new float[16];
        for (int g = 0; g < 16; g++) {
            quantZero[g] = -8f * sc[g];
        }
        float[] expected = quantZeroValues(quantZero, 16);
        expected[0] = 0.25f * 1 * (5 + 2 * 16 - 32);     // 1.25
        expected[32] = 0.25f * 3 * (12 + 1 * 16 - 32);   // -3
        expected[64] = 0.25f * 5 * (15 + 3 * 16 - 32);   // 38.75
        expected[241] = 0.25f * -1 * (10 + 1 * 16 - 32); // 1.5

        checkBoth(Q6KKernel.INSTANCE, Q6KKernel::dequantizeReference, block, expected);
    }

    private interface Reference {
        void dequantize(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n);
    }

    private static void checkBoth(WeightKernel kernel, Reference reference, byte[] block, float[] expected) {
        MemorySegment w = MemorySegment.ofArray(block);
        float[] viaReference = new float[256];
        reference.dequantize(w, 0, viaReference, 0, 256);
        assertArrayEquals(expected, viaReference, kernel.type() + " reference");
        float[] viaVectors = new float[256];
        kernel.dequantize(w, 0, viaVectors, 0, 256);
        assertArrayEquals(expected, viaVectors, kernel.type() + " vector");
    }

    private static float[] quantZeroValues(float[] perSubBlock, int subBlockSize) {
        float[] values = new float[256];
        for (int i = 0; i < 256; i++) {
            values[i] = perSubBlock[i / subBlockSize];
        }
        return values;
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }
}
