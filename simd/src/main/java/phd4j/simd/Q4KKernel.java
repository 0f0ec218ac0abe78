package phd4j.simd;

import static phd4j.simd.KQuants.BYTES;
import static phd4j.simd.KQuants.F;
import static phd4j.simd.KQuants.L;
import static phd4j.simd.KQuants.PARTS;
import static phd4j.simd.KQuants.ROW_GROUP;
import static phd4j.simd.KQuants.SUPER_BLOCK;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K: 256-element super-blocks of 144 bytes, eight 32-element sub-blocks with 6-bit scales
 * and mins ("type-1": value = d * scale * q - dmin * min, q in 0..15).
 *
 * <pre>
 * offset size field
 *      0    2 d       fp16, multiplies the sub-block scales
 *      2    2 dmin    fp16, multiplies the sub-block mins
 *      4   12 scales  8 scales + 8 mins, 6 bits each (see KQuants.scale6 / min6)
 *     16  128 qs      4-bit quants: bytes 32c .. 32c+31 hold sub-block 2c in their low nibbles
 *                     and sub-block 2c+1 in their high nibbles (c = 0..3)
 * </pre>
 * Element i of the super-block is in sub-block s = i / 32, at byte qs[32 * (s / 2) + i % 32].
 */
public final class Q4KKernel implements WeightKernel {
    static final Q4KKernel INSTANCE = new Q4KKernel();

    private Q4KKernel() {
    }

    static final int BLOCK_BYTES = 144;
    private static final int D = 0;
    private static final int DMIN = 2;
    private static final int SCALES = 4;
    private static final int QS = 16;

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    /** Scalar dequantization, written for clarity; the vector code must match it exactly. */
    static void dequantizeReference(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        KQuants.checkDequantize(GgmlType.Q4_K, w, byteOffset, dst, dstOffset, n);
        for (int sb = 0; sb < n / SUPER_BLOCK; sb++) {
            long b = byteOffset + (long) sb * BLOCK_BYTES;
            float d = KQuants.half(w, b + D);
            float dmin = KQuants.half(w, b + DMIN);
            for (int i = 0; i < SUPER_BLOCK; i++) {
                int s = i / 32;
                int packed = KQuants.ubyte(w, b + QS + 32 * (s / 2) + i % 32);
                int q = s % 2 == 0 ? packed & 0xF : packed >> 4;
                float scale = d * KQuants.scale6(w, b + SCALES, s);
                float min = dmin * KQuants.min6(w, b + SCALES, s);
                dst[dstOffset + sb * SUPER_BLOCK + i] = scale * q - min;
            }
        }
    }

    /**
     * F32 -> Q4_K, at least as accurate as llama.cpp's reference quantizer: its search, then a
     * search of the 6-bit sub-block scales and mins around its choice (see {@link KQuantizer}).
     * {@code n} must be a multiple of 256.
     */
    public static void quantize(float[] src, int srcOff, int n, MemorySegment dst, long dstOffset) {
        Quantizers.checkBlocks(n, SUPER_BLOCK, "Q4_K");
        KQuantizer.Scratch s = new KQuantizer.Scratch();
        for (int sb = 0; sb < n / SUPER_BLOCK; sb++) {
            long b = dstOffset + (long) sb * BLOCK_BYTES;
            KQuantizer.type1SuperBlock(src, srcOff + sb * SUPER_BLOCK, 15, -1f, 0.1f, 20, KQuantizer.RADIUS, s);
            KQuantizer.putHalf(dst, b + D, s.d);
            KQuantizer.putHalf(dst, b + DMIN, s.dmin);
            KQuantizer.putScales6(dst, b + SCALES, s.ls, s.lm);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    int q = s.codes[64 * c + l] | s.codes[64 * c + 32 + l] << 4;
                    dst.set(ValueLayout.JAVA_BYTE, b + QS + 32 * c + l, (byte) q);
                }
            }
        }
    }

    @Override
    public void dequantize(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        KQuants.checkDequantize(GgmlType.Q4_K, w, byteOffset, dst, dstOffset, n);
        for (int sb = 0; sb < n / SUPER_BLOCK; sb++) {
            long b = byteOffset + (long) sb * BLOCK_BYTES;
            float d = KQuants.half(w, b + D);
            float dmin = KQuants.half(w, b + DMIN);
            long first8 = KQuants.longAt(w, b + SCALES);
            int last4 = KQuants.intAt(w, b + SCALES + 8);
            for (int s = 0; s < 8; s++) {
                float scale = d * KQuants.scale6(first8, last4, s);
                float min = dmin * KQuants.min6(first8, last4, s);
                int base = dstOffset + sb * SUPER_BLOCK + 32 * s;
                for (int e = 0; e < 32; e += BYTES.length()) {
                    for (int p = 0; p < PARTS; p++) {
                        // mul then sub, not fma: the reference rounds twice
                        quants(w, b, s, e, p).mul(scale).sub(min).intoArray(dst, base + e + p * L);
                    }
                }
            }
        }
    }

    /** The 4-bit quants of sub-block {@code s}, elements e + p * L ..< e + (p + 1) * L, as floats. */
    private static FloatVector quants(MemorySegment w, long block, int s, int e, int p) {
        int shift = 4 * (s & 1);
        var q = KQuants.loadBytes(w, block + QS + 32 * (s >> 1) + e)
                .lanewise(VectorOperators.LSHR, shift)
                .and((byte) 0xF);
        return KQuants.toFloats(q, p);
    }

    @Override
    public void matmul(WeightMatrix w, float[] x, int xStride, int nRows, float[] out, int outStride, int rowStart, int rowEnd) {
        KQuants.checkMatmul(GgmlType.Q4_K, w, x, xStride, nRows, out, outStride, rowStart, rowEnd);
        int superBlocks = w.cols() / SUPER_BLOCK;
        for (int o = rowStart; o < rowEnd; o++) {
            for (int r = 0; r < nRows; r += ROW_GROUP) {
                dotRows(w.data(), o * w.rowBytes(), superBlocks, x, r * xStride, xStride,
                        Math.min(ROW_GROUP, nRows - r), out, r * outStride + o, outStride);
            }
        }
    }

    /**
     * Dot products of one weight row with {@code count} (1..4) activation rows starting at
     * {@code x[x0]}, written to {@code out[o0]}, {@code out[o0 + outStride]}, ...
     * Each weight vector is decoded once and applied to every row of the group. The two
     * sub-blocks that share their qs bytes are decoded from one load; each row has one
     * accumulator per sub-block of the pair, so that two FMA chains run at once.
     */
    private static void dotRows(MemorySegment w, long rowOffset, int superBlocks, float[] x, int x0, int xStride,
                                int count, float[] out, int o0, int outStride) {
        int x1 = x0 + xStride;
        int x2 = x1 + xStride;
        int x3 = x2 + xStride;
        FloatVector even0 = FloatVector.zero(F), odd0 = FloatVector.zero(F);
        FloatVector even1 = FloatVector.zero(F), odd1 = FloatVector.zero(F);
        FloatVector even2 = FloatVector.zero(F), odd2 = FloatVector.zero(F);
        FloatVector even3 = FloatVector.zero(F), odd3 = FloatVector.zero(F);
        for (int sb = 0; sb < superBlocks; sb++) {
            long b = rowOffset + (long) sb * BLOCK_BYTES;
            float d = KQuants.half(w, b + D);
            float dmin = KQuants.half(w, b + DMIN);
            long first8 = KQuants.longAt(w, b + SCALES);
            int last4 = KQuants.intAt(w, b + SCALES + 8);
            for (int pair = 0; pair < 4; pair++) {
                int s = 2 * pair;
                float evenScale = d * KQuants.scale6(first8, last4, s);
                float evenNegMin = -(dmin * KQuants.min6(first8, last4, s));
                float oddScale = d * KQuants.scale6(first8, last4, s + 1);
                float oddNegMin = -(dmin * KQuants.min6(first8, last4, s + 1));
                int col = sb * SUPER_BLOCK + 64 * pair;
                for (int e = 0; e < 32; e += BYTES.length()) {
                    ByteVector packed = KQuants.loadBytes(w, b + QS + 32 * pair + e);
                    ByteVector low = packed.and((byte) 0xF);
                    ByteVector high = packed.lanewise(VectorOperators.LSHR, 4);
                    for (int p = 0; p < PARTS; p++) {
                        FloatVector we = KQuants.toFloats(low, p).fma(evenScale, evenNegMin);
                        FloatVector wo = KQuants.toFloats(high, p).fma(oddScale, oddNegMin);
                        int c = col + e + p * L;
                        even0 = we.fma(FloatVector.fromArray(F, x, x0 + c), even0);
                        odd0 = wo.fma(FloatVector.fromArray(F, x, x0 + c + 32), odd0);
                        if (count > 1) {
                            even1 = we.fma(FloatVector.fromArray(F, x, x1 + c), even1);
                            odd1 = wo.fma(FloatVector.fromArray(F, x, x1 + c + 32), odd1);
                            if (count > 2) {
                                even2 = we.fma(FloatVector.fromArray(F, x, x2 + c), even2);
                                odd2 = wo.fma(FloatVector.fromArray(F, x, x2 + c + 32), odd2);
                                if (count > 3) {
                                    even3 = we.fma(FloatVector.fromArray(F, x, x3 + c), even3);
                                    odd3 = wo.fma(FloatVector.fromArray(F, x, x3 + c + 32), odd3);
                                }
                            }
                        }
                    }
                }
            }
        }
        out[o0] = even0.add(odd0).reduceLanes(VectorOperators.ADD);
        if (count > 1) out[o0 + outStride] = even1.add(odd1).reduceLanes(VectorOperators.ADD);
        if (count > 2) out[o0 + 2 * outStride] = even2.add(odd2).reduceLanes(VectorOperators.ADD);
        if (count > 3) out[o0 + 3 * outStride] = even3.add(odd3).reduceLanes(VectorOperators.ADD);
    }
}
