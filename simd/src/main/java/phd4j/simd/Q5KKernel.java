package phd4j.simd;

import static phd4j.simd.KQuants.BYTES;
import static phd4j.simd.KQuants.F;
import static phd4j.simd.KQuants.L;
import static phd4j.simd.KQuants.PARTS;
import static phd4j.simd.KQuants.SUPER_BLOCK;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_K: 256-element super-blocks of 176 bytes, eight 32-element sub-blocks with 6-bit scales
 * and mins ("type-1": value = d * scale * q - dmin * min, q in 0..31): Q4_K plus a fifth bit.
 *
 * <pre>
 * offset size field
 *      0    2 d       fp16, multiplies the sub-block scales
 *      2    2 dmin    fp16, multiplies the sub-block mins
 *      4   12 scales  8 scales + 8 mins, 6 bits each (see KQuants.scale6 / min6)
 *     16   32 qh      fifth (high) bits: bit s of qh[l] belongs to element 32 * s + l
 *     48  128 qs      low 4 bits, as in Q4_K: bytes 32c .. 32c+31 hold sub-block 2c in their
 *                     low nibbles and sub-block 2c+1 in their high nibbles (c = 0..3)
 * </pre>
 * Element i of the super-block is in sub-block s = i / 32; its quant is
 * (nibble of qs[32 * (s / 2) + i % 32]) + 16 * (bit s of qh[i % 32]).
 * Which loop runs: decoding reads the {@link Interleaved} copy; this kernel serves prefill's GEMM
 * (dequantize) and {@code --no-repack} ({@link #dotRows}, groups of up to 4 activation rows).
 */
public final class Q5KKernel extends RowDotKernel {
    static final Q5KKernel INSTANCE = new Q5KKernel();

    private Q5KKernel() {
    }

    static final int BLOCK_BYTES = 176;
    private static final int D = 0;
    private static final int DMIN = 2;
    private static final int SCALES = 4;
    private static final int QH = 16;
    private static final int QS = 48;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_K;
    }

    /** Scalar dequantization, written for clarity; the vector code must match it exactly. */
    static void dequantizeReference(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        KQuants.checkDequantize(GgmlType.Q5_K, w, byteOffset, dst, dstOffset, n);
        for (int sb = 0; sb < n / SUPER_BLOCK; sb++) {
            long b = byteOffset + (long) sb * BLOCK_BYTES;
            float d = KQuants.half(w, b + D);
            float dmin = KQuants.half(w, b + DMIN);
            for (int i = 0; i < SUPER_BLOCK; i++) {
                int s = i / 32;
                int packed = KQuants.ubyte(w, b + QS + 32 * (s / 2) + i % 32);
                int low = s % 2 == 0 ? packed & 0xF : packed >> 4;
                int high = KQuants.ubyte(w, b + QH + i % 32) >> s & 1;
                int q = low + 16 * high;
                float scale = d * KQuants.scale6(w, b + SCALES, s);
                float min = dmin * KQuants.min6(w, b + SCALES, s);
                dst[dstOffset + sb * SUPER_BLOCK + i] = scale * q - min;
            }
        }
    }

    /**
     * F32 -> Q5_K, at least as accurate as llama.cpp's reference quantizer: its search, then a
     * search of the 6-bit sub-block scales and mins around its choice (see {@link KQuantizer}).
     * {@code n} must be a multiple of 256.
     */
    static void quantize(float[] src, int srcOff, int n, MemorySegment dst, long dstOffset) {
        KQuantizer.Scratch s = new KQuantizer.Scratch();
        for (int sb = 0; sb < n / SUPER_BLOCK; sb++) {
            long b = dstOffset + (long) sb * BLOCK_BYTES;
            KQuantizer.type1SuperBlock(src, srcOff + sb * SUPER_BLOCK, 31, -0.5f, 0.1f, 15, KQuantizer.RADIUS, s);
            KQuantizer.putHalf(dst, b + D, s.d);
            KQuantizer.putHalf(dst, b + DMIN, s.dmin);
            KQuantizer.putScales6(dst, b + SCALES, s.ls, s.lm);
            for (int l = 0; l < 32; l++) {
                int high = 0;
                for (int sub = 0; sub < 8; sub++) high |= (s.codes[32 * sub + l] >> 4) << sub;
                dst.set(ValueLayout.JAVA_BYTE, b + QH + l, (byte) high);
            }
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    int q = (s.codes[64 * c + l] & 0xF) | (s.codes[64 * c + 32 + l] & 0xF) << 4;
                    dst.set(ValueLayout.JAVA_BYTE, b + QS + 32 * c + l, (byte) q);
                }
            }
        }
    }

    @Override
    void dequantizeChecked(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
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

    /** The 5-bit quants of sub-block {@code s}, elements e + p * L ..< e + (p + 1) * L, as floats. */
    private static FloatVector quants(MemorySegment w, long block, int s, int e, int p) {
        IntVector low = KQuants.loadInts(w, block + QS + 32 * (s >> 1) + e, p).lanewise(VectorOperators.LSHR, 4 * (s & 1)).and(15);
        IntVector high = KQuants.loadInts(w, block + QH + e, p).lanewise(VectorOperators.LSHR, s).and(1);
        return (FloatVector) low.or(high.lanewise(VectorOperators.LSHL, 4)).convert(VectorOperators.I2F, 0);
    }

    /**
     * Dot products of one weight row with {@code count} (1..4, RowDotKernel's group) activation
     * rows starting at {@code x[x0]}, written to sums[0 .. count).
     * Each weight vector is decoded once and applied to every row of the group.
     */
    @Override
    void dotRows(MemorySegment w, long rowOffset, int cols, float[] x, int x0, int xStride, int count, float[] sums) {
        int superBlocks = cols / SUPER_BLOCK;
        int x1 = x0 + xStride;
        int x2 = x1 + xStride;
        int x3 = x2 + xStride;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        for (int sb = 0; sb < superBlocks; sb++) {
            long b = rowOffset + (long) sb * BLOCK_BYTES;
            float d = KQuants.half(w, b + D);
            float dmin = KQuants.half(w, b + DMIN);
            long first8 = KQuants.longAt(w, b + SCALES);
            int last4 = KQuants.intAt(w, b + SCALES + 8);
            for (int s = 0; s < 8; s++) {
                float scale = d * KQuants.scale6(first8, last4, s);
                float negMin = -(dmin * KQuants.min6(first8, last4, s));
                int col = sb * SUPER_BLOCK + 32 * s;
                for (int e = 0; e < 32; e += BYTES.length()) {
                    for (int p = 0; p < PARTS; p++) {
                        FloatVector wv = quants(w, b, s, e, p).fma(scale, negMin);
                        int c = col + e + p * L;
                        acc0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), acc0);
                        if (count > 1) {
                            acc1 = wv.fma(FloatVector.fromArray(F, x, x1 + c), acc1);
                            if (count > 2) {
                                acc2 = wv.fma(FloatVector.fromArray(F, x, x2 + c), acc2);
                                if (count > 3) {
                                    acc3 = wv.fma(FloatVector.fromArray(F, x, x3 + c), acc3);
                                }
                            }
                        }
                    }
                }
            }
        }
        KQuants.sums(acc0, acc1, acc2, acc3, count, sums);
    }
}
