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
 * Q6_K: 256-element super-blocks of 210 bytes, sixteen 16-element sub-blocks with signed 8-bit
 * scales ("type-0": value = d * scale * (q - 32), q in 0..63).
 *
 * <pre>
 * offset size field
 *      0  128 ql      low 4 bits of the quants
 *    128   64 qh      high 2 bits of the quants
 *    192   16 scales  int8, one per 16 elements: element i uses scales[i / 16]
 *    208    2 d       fp16, multiplies the scales
 * </pre>
 * The super-block is two halves h of 128 elements, each four quarters k of 32 elements. Element
 * 128h + 32k + l (l = 0..31) takes its low 4 bits from ql[64h + 32 * (k % 2) + l] (low nibble for
 * k = 0, 1, high nibble for k = 2, 3) and its high 2 bits from bits 2k, 2k+1 of qh[32h + l].
 * Which loop runs: decoding reads the {@link Interleaved} copy; this kernel serves prefill's GEMM
 * (dequantize) and {@code --no-repack} ({@link #dotRows}, groups of up to 4 activation rows).
 */
public final class Q6KKernel extends RowDotKernel {
    static final Q6KKernel INSTANCE = new Q6KKernel();

    private Q6KKernel() {
    }

    static final int BLOCK_BYTES = 210;
    private static final int QL = 0;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    /** Scalar dequantization, written for clarity; the vector code must match it exactly. */
    static void dequantizeReference(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        KQuants.checkDequantize(GgmlType.Q6_K, w, byteOffset, dst, dstOffset, n);
        for (int sb = 0; sb < n / SUPER_BLOCK; sb++) {
            long b = byteOffset + (long) sb * BLOCK_BYTES;
            float d = KQuants.half(w, b + D);
            for (int i = 0; i < SUPER_BLOCK; i++) {
                int h = i / 128;
                int k = i % 128 / 32;
                int l = i % 32;
                int lowByte = KQuants.ubyte(w, b + QL + 64 * h + 32 * (k % 2) + l);
                int low = k < 2 ? lowByte & 0xF : lowByte >> 4;
                int high = KQuants.ubyte(w, b + QH + 32 * h + l) >> 2 * k & 3;
                int q = (low | high << 4) - 32;
                float scale = d * KQuants.sbyte(w, b + SCALES + i / 16);
                dst[dstOffset + sb * SUPER_BLOCK + i] = scale * q;
            }
        }
    }

    /**
     * F32 -> Q6_K, at least as accurate as llama.cpp's reference quantizer: its search, then a
     * search of the int8 sub-block scales around its choice (see {@link KQuantizer}).
     * {@code n} must be a multiple of 256.
     */
    static void quantize(float[] src, int srcOff, int n, MemorySegment dst, long dstOffset) {
        KQuantizer.Scratch s = new KQuantizer.Scratch();
        for (int sb = 0; sb < n / SUPER_BLOCK; sb++) {
            long b = dstOffset + (long) sb * BLOCK_BYTES;
            KQuantizer.q6SuperBlock(src, srcOff + sb * SUPER_BLOCK, KQuantizer.RADIUS, s);
            byte[] q = s.codes;
            for (int h = 0; h < 2; h++) {
                int e = 128 * h;
                for (int l = 0; l < 32; l++) {
                    int q0 = q[e + l], q1 = q[e + 32 + l], q2 = q[e + 64 + l], q3 = q[e + 96 + l];
                    dst.set(ValueLayout.JAVA_BYTE, b + QL + 64 * h + l, (byte) ((q0 & 0xF) | (q2 & 0xF) << 4));
                    dst.set(ValueLayout.JAVA_BYTE, b + QL + 64 * h + 32 + l, (byte) ((q1 & 0xF) | (q3 & 0xF) << 4));
                    dst.set(ValueLayout.JAVA_BYTE, b + QH + 32 * h + l,
                            (byte) (q0 >> 4 | (q1 >> 4) << 2 | (q2 >> 4) << 4 | (q3 >> 4) << 6));
                }
            }
            for (int ib = 0; ib < 16; ib++) dst.set(ValueLayout.JAVA_BYTE, b + SCALES + ib, (byte) s.ls[ib]);
            KQuantizer.putHalf(dst, b + D, s.d);
        }
    }

    @Override
    void dequantizeChecked(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int sb = 0; sb < n / SUPER_BLOCK; sb++) {
            long b = byteOffset + (long) sb * BLOCK_BYTES;
            float d = KQuants.half(w, b + D);
            for (int t = 0; t < 8; t++) {
                int base = dstOffset + sb * SUPER_BLOCK + 32 * t;
                for (int e = 0; e < 32; e += BYTES.length()) {
                    for (int p = 0; p < PARTS; p++) {
                        weights(w, b, d, t, e, p).intoArray(dst, base + e + p * L);
                    }
                }
            }
        }
    }

    /**
     * Elements e + p * L ..< e + (p + 1) * L of quarter t = 4h + k of the super-block at
     * {@code block} (scale d), dequantized: the same floats as the reference's scale * (q - 32).
     * Quarter k takes its low 4 bits from ql's low (k < 2) or high nibbles and its high 2 bits
     * from bits 2k, 2k + 1 of qh.
     */
    private static FloatVector weights(MemorySegment w, long block, float d, int t, int e, int p) {
        int h = t >> 2, k = t & 3;
        IntVector low = KQuants.loadInts(w, block + QL + 64 * h + 32 * (k & 1) + e, p).lanewise(VectorOperators.LSHR, 4 * (k >> 1)).and(15);
        IntVector high = KQuants.loadInts(w, block + QH + 32 * h + e, p).lanewise(VectorOperators.LSHR, 2 * k).and(3);
        float scale = d * KQuants.sbyte(w, block + SCALES + 2 * t + (e + p * L) / 16);
        return ((FloatVector) low.or(high.lanewise(VectorOperators.LSHL, 4)).sub(32).convert(VectorOperators.I2F, 0)).mul(scale);
    }

    /**
     * Dot products of one weight row with {@code count} (1..4, RowDotKernel's group) activation
     * rows starting at {@code x[x0]}, written to sums[0 .. count).
     * Each weight vector is decoded once and applied to every row of the group. The loops go
     * quarter by quarter, one weight vector per step: a body decoding all four quarters of a half
     * at once (loading ql and qh once) grew past the JIT's inlining budget
     * (NodeCountInliningCutoff), its vector helpers were not inlined, and every vector was
     * boxed: 4.5 GFLOP/s on one row, against 11 for this form.
     */
    @Override
    void dotRows(MemorySegment w, long rowOffset, int cols, float[] x, int x0, int xStride, int count, float[] sums) {
        int superBlocks = cols / SUPER_BLOCK;
        int x1 = x0 + xStride;
        int x2 = x1 + xStride;
        int x3 = x2 + xStride;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int sb = 0; sb < superBlocks; sb++) {
            long b = rowOffset + (long) sb * BLOCK_BYTES;
            float d = KQuants.half(w, b + D);
            for (int t = 0; t < 8; t++) {
                for (int e = 0; e < 32; e += BYTES.length()) {
                    for (int p = 0; p < PARTS; p++) {
                        int l = e + p * L;
                        FloatVector wv = weights(w, b, d, t, e, p);
                        int c = sb * SUPER_BLOCK + 32 * t + l;
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
