package phd4j.simd;

import static phd4j.simd.KQuants.BYTES;
import static phd4j.simd.KQuants.F;
import static phd4j.simd.KQuants.L;
import static phd4j.simd.KQuants.PARTS;
import static phd4j.simd.KQuants.ROW_GROUP;
import static phd4j.simd.KQuants.SUPER_BLOCK;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
    static void quantize(float[] src, int srcOff, int n, MemorySegment dst, long dstOffset) {
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
        IntVector q = KQuants.loadInts(w, block + QS + 32 * (s >> 1) + e, p).lanewise(VectorOperators.LSHR, 4 * (s & 1)).and(15);
        return (FloatVector) q.convert(VectorOperators.I2F, 0);
    }

    @Override
    public void matmul(WeightMatrix w, float[] x, int xStride, int nRows, float[] out, int outStride, int rowStart, int rowEnd) {
        KQuants.checkMatmul(GgmlType.Q4_K, w, x, xStride, nRows, out, outStride, rowStart, rowEnd);
        int superBlocks = w.cols() / SUPER_BLOCK;
        MemorySegment data = w.data();
        long rowBytes = w.rowBytes();
        // See RowDotKernel.matmul: the check gives the JIT the segment's class for the inlined loads.
        Objects.checkFromToIndex(rowStart * rowBytes, rowEnd * rowBytes, data.byteSize());
        float[] sm = PERMUTE_PATH ? new float[16 * superBlocks] : null;
        for (int o = rowStart; o < rowEnd; o++) {
            if (PERMUTE_PATH) rowScales(data, o * rowBytes, superBlocks, sm);
            for (int r = 0; r < nRows; r += ROW_GROUP) {
                int count = Math.min(ROW_GROUP, nRows - r);
                if (PERMUTE_PATH && count == 1) {
                    out[r * outStride + o] = permuteRow(data, o * rowBytes, superBlocks, x, r * xStride, sm);
                } else if (PERMUTE_PATH) {
                    permuteRows(data, o * rowBytes, superBlocks, x, r * xStride, xStride, count, out, r * outStride + o, outStride, sm);
                } else {
                    dotRows(data, o * rowBytes, superBlocks, x, r * xStride, xStride, count, out, r * outStride + o, outStride);
                }
            }
        }
    }

    /*
     * With 16 float lanes (AVX-512) a sub-block's 16 possible weights, scale * q - min for q in
     * 0..15, fill one vector: a lane permute (vpermd) indexed by the nibbles dequantizes 16
     * weights in one instruction (as Q4_0Kernel.PERMUTE_PATH), where dotRows takes a widening, a
     * shift, a mask, a conversion and an fma. The table is built with the same fma as dotRows's
     * weights, so both paths compute the same floats. KernelBench Q4_K 2048 x 2048, one thread,
     * against dotRows on 16 lanes: 18.1 -> 20 GFLOP/s for one activation row, 35 -> 40 for four.
     */
    private static final boolean PERMUTE_PATH = L == 16;
    /** Lane q holds q. */
    private static final FloatVector NIBBLES = FloatVector.zero(F).addIndex(1);

    /**
     * The scales and mins of a weight row's super-blocks, sm[16 sb ..] (see KQuants.scalesAndMins),
     * decoded before the row's products. Decoded within the product loop, each super-block's
     * tables waited on a chain of its header's load, the unpacking and a store and reload: the
     * one-row product ran at 20 GFLOP/s, 25.5 with the scales decoded first (one thread,
     * 2048 x 2048, cache-resident).
     */
    private static void rowScales(MemorySegment w, long rowOffset, int superBlocks, float[] sm) {
        for (int sb = 0; sb < superBlocks; sb++) {
            long b = rowOffset + (long) sb * BLOCK_BYTES;
            KQuants.scalesAndMins(w, b + SCALES, KQuants.half(w, b + D), KQuants.half(w, b + DMIN), sm, 16 * sb);
        }
    }

    /**
     * As {@link #dotRows}, weights looked up by permute; only with 16 float lanes. {@code sm}: the
     * row's {@link #rowScales}. One sub-block per step, a small loop body: a body with all of a
     * sub-block pair's tables and lookups for four rows outgrew the JIT's inlining budget (see
     * Q6KKernel.dotRow).
     */
    private static void permuteRows(MemorySegment w, long rowOffset, int superBlocks, float[] x, int x0, int xStride,
                                    int count, float[] out, int o0, int outStride, float[] sm) {
        int x1 = x0 + xStride;
        int x2 = x1 + xStride;
        int x3 = x2 + xStride;
        // Two accumulators per row, for the two halves of a sub-block: two chains of dependent fmas.
        FloatVector a0 = FloatVector.zero(F), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
        for (int sb = 0; sb < superBlocks; sb++) {
            long b = rowOffset + (long) sb * BLOCK_BYTES;
            int m = 16 * sb;
            for (int s = 0; s < 8; s++) {
                IntVector table = NIBBLES.fma(sm[m + s], sm[m + 8 + s]).reinterpretAsInts();
                long qs = b + QS + 32 * (s >> 1);
                int shift = 4 * (s & 1), c = sb * SUPER_BLOCK + 32 * s;
                FloatVector wa = KQuants.loadInts(w, qs, 0).lanewise(VectorOperators.LSHR, shift).selectFrom(table).reinterpretAsFloats();
                FloatVector wb = KQuants.loadInts(w, qs + 16, 0).lanewise(VectorOperators.LSHR, shift).selectFrom(table).reinterpretAsFloats();
                a0 = wa.fma(FloatVector.fromArray(F, x, x0 + c), a0);
                b0 = wb.fma(FloatVector.fromArray(F, x, x0 + c + 16), b0);
                if (count > 1) {
                    a1 = wa.fma(FloatVector.fromArray(F, x, x1 + c), a1);
                    b1 = wb.fma(FloatVector.fromArray(F, x, x1 + c + 16), b1);
                    if (count > 2) {
                        a2 = wa.fma(FloatVector.fromArray(F, x, x2 + c), a2);
                        b2 = wb.fma(FloatVector.fromArray(F, x, x2 + c + 16), b2);
                        if (count > 3) {
                            a3 = wa.fma(FloatVector.fromArray(F, x, x3 + c), a3);
                            b3 = wb.fma(FloatVector.fromArray(F, x, x3 + c + 16), b3);
                        }
                    }
                }
            }
        }
        out[o0] = a0.add(b0).reduceLanes(VectorOperators.ADD);
        if (count > 1) out[o0 + outStride] = a1.add(b1).reduceLanes(VectorOperators.ADD);
        if (count > 2) out[o0 + 2 * outStride] = a2.add(b2).reduceLanes(VectorOperators.ADD);
        if (count > 3) out[o0 + 3 * outStride] = a3.add(b3).reduceLanes(VectorOperators.ADD);
    }

    /**
     * One activation row (decode at K=1), {@code sm} the row's {@link #rowScales}: a sub-block
     * pair per step, as the pair shares its 32 bytes (low nibbles sub-block 2c, high nibbles
     * 2c + 1): one load of them for both, and the low nibbles index the table unshifted.
     */
    private static float permuteRow(MemorySegment w, long rowOffset, int superBlocks, float[] x, int x0, float[] sm) {
        FloatVector a = FloatVector.zero(F), b = a, a2 = a, b2 = a;
        for (int sb = 0; sb < superBlocks; sb++) {
            long blk = rowOffset + (long) sb * BLOCK_BYTES;
            int m = 16 * sb;
            for (int c = 0; c < 4; c++) {
                IntVector low = NIBBLES.fma(sm[m + 2 * c], sm[m + 8 + 2 * c]).reinterpretAsInts();
                IntVector high = NIBBLES.fma(sm[m + 2 * c + 1], sm[m + 9 + 2 * c]).reinterpretAsInts();
                long qs = blk + QS + 32 * c;
                IntVector q0 = KQuants.loadInts(w, qs, 0), q1 = KQuants.loadInts(w, qs + 16, 0);
                int e = x0 + sb * SUPER_BLOCK + 64 * c;
                a = q0.selectFrom(low).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, e), a);
                b = q1.selectFrom(low).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, e + 16), b);
                a2 = q0.lanewise(VectorOperators.LSHR, 4).selectFrom(high).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, e + 32), a2);
                b2 = q1.lanewise(VectorOperators.LSHR, 4).selectFrom(high).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, e + 48), b2);
            }
        }
        return a.add(b).add(a2.add(b2)).reduceLanes(VectorOperators.ADD);
    }

    /**
     * Dot products of one weight row with {@code count} (1..4) activation rows starting at
     * {@code x[x0]}, written to {@code out[o0]}, {@code out[o0 + outStride]}, ...
     * Each weight vector is decoded once and applied to every row of the group.
     */
    private static void dotRows(MemorySegment w, long rowOffset, int superBlocks, float[] x, int x0, int xStride,
                                int count, float[] out, int o0, int outStride) {
        int x1 = x0 + xStride;
        int x2 = x1 + xStride;
        int x3 = x2 + xStride;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int sb = 0; sb < superBlocks; sb++) {
            long b = rowOffset + (long) sb * BLOCK_BYTES;
            float d = KQuants.half(w, b + D);
            float dmin = KQuants.half(w, b + DMIN);
            long first8 = KQuants.longAt(w, b + SCALES);
            int last4 = KQuants.intAt(w, b + SCALES + 8);
            for (int s = 0; s < 8; s++) {
                float scale = d * KQuants.scale6(first8, last4, s);
                float negMin = -(dmin * KQuants.min6(first8, last4, s));
                for (int e = 0; e < 32; e += BYTES.length()) {
                    for (int p = 0; p < PARTS; p++) {
                        FloatVector wv = quants(w, b, s, e, p).fma(scale, negMin);
                        int c = sb * SUPER_BLOCK + 32 * s + e + p * L;
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
        out[o0] = acc0.reduceLanes(VectorOperators.ADD);
        if (count > 1) out[o0 + outStride] = acc1.reduceLanes(VectorOperators.ADD);
        if (count > 2) out[o0 + 2 * outStride] = acc2.reduceLanes(VectorOperators.ADD);
        if (count > 3) out[o0 + 3 * outStride] = acc3.reduceLanes(VectorOperators.ADD);
    }
}
