package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q8_0: blocks of 32 weights in 34 bytes, {@code [fp16 d][32 x int8 q]}, weight = q * d.
 * Q8_0 has no interleaved copy (it would cost 1.18x the bytes of a type whose decode is bound by
 * reading them), so its own loops are the decode path. Which one a product of nRows activation
 * rows runs ({@link RowDotKernel#matmul} walks the weight rows; 32 rows or more go to Gemm):
 * <pre>
 *   nRows     weight rows at once          loop
 *   1         4 (rows > 4096 columns)      dotRows4, n = 1
 *   1         2                            dotRows2 -> pair1
 *   2..4      4                            dotRows4, n = nRows
 *   5..31     2, in groups of 8 rows       dotRows2 -> pair2to4 / pair5to8 (the group's size)
 *   any       1 (the rows left over)       dot1, once per activation row (RowDotKernel's dotRows)
 * </pre>
 */
public final class Q8_0Kernel extends RowDotKernel {
    static final Q8_0Kernel INSTANCE = new Q8_0Kernel();
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 34;
    private static final int QS = 2;

    private Q8_0Kernel() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    /** Scalar reference, written for clarity: the tests compare the vector code against it. */
    static void dequantizeReference(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Lanes.half(w, block);
            for (int j = 0; j < BLOCK; j++) {
                byte q = w.get(ValueLayout.JAVA_BYTE, block + QS + j);
                dst[dstOffset + b * BLOCK + j] = q * d;
            }
        }
    }

    /**
     * F32 -> Q8_0, bit-exact with llama.cpp's reference quantizer (what llama-quantize uses):
     * d = amax / 127 stored as fp16 (round to nearest even), q = round-half-away-from-zero(x / d)
     * computed as x * (1 / d) in float, all-zero blocks get d = 0 and q = 0.
     * {@code n} must be a multiple of 32.
     */
    static void quantize(float[] src, int srcOff, int n, MemorySegment dst, long dstOffset) {
        for (int b = 0; b < n / BLOCK; b++) {
            int x = srcOff + b * BLOCK;
            long block = dstOffset + (long) b * BLOCK_BYTES;
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(src[x + j]));
            float d = amax / 127;
            float id = d != 0 ? 1 / d : 0;
            dst.set(Lanes.SHORT_LE, block, Rounding.toHalf(d));
            for (int j = 0; j < BLOCK; j++) {
                dst.set(ValueLayout.JAVA_BYTE, block + QS + j, (byte) Rounding.roundHalfAway(src[x + j] * id));
            }
        }
    }

    @Override
    void dequantizeChecked(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Lanes.half(w, block);
            for (int c = 0; c < BLOCK; c += L) {
                Lanes.toFloats(Lanes.bytes(w, block + QS + c)).mul(d).intoArray(dst, dstOffset + b * BLOCK + c);
            }
        }
    }

    @Override
    float dot1(MemorySegment w, long row, int cols, float[] x, int xOffset) {
        FloatVector acc = FloatVector.zero(F);
        long block = row;
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            // Sum q * x over the block, then scale once: one fma on the loop-carried accumulator per block.
            FloatVector sum = FloatVector.zero(F);
            for (int c = 0; c < BLOCK; c += L) {
                FloatVector q = Lanes.toFloats(Lanes.bytes(w, block + QS + c));
                sum = q.fma(FloatVector.fromArray(F, x, xOffset + i + c), sum);
            }
            acc = sum.fma(FloatVector.broadcast(F, Lanes.half(w, block)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Rows longer than this many elements have an activation row (4 bytes each) too large to
     * stay in L1 beside the weights streaming through it, so one row of decode (nRows = 1) goes
     * four weight rows at a time: each activation vector then serves four rows, not two. On
     * 2048 x 5632 (1.1b's ffn_down) that took 2 threads from 22 to 28 GB/s; on rows of 2048 two
     * and four streams tie.
     */
    private static final int LONG_ROW = 4096;

    @Override
    int weightStreams(int nRows, int cols) {
        if (nRows == 1) return cols > LONG_ROW ? 4 : 2;
        return nRows <= 4 ? 4 : 2;
    }

    @Override
    void dotRows4(MemorySegment w, long row0, long row1, long row2, long row3, int cols, float[] x, int x0, int s,
            int n, float[] sums) {
        // 1 <= n <= 4 activation rows (see weightStreams): up to 16 accumulators, each activation
        // vector loaded once for four weight rows. Weight row j's results go to sums[8 * j + k].
        int x1 = x0 + s, x2 = x1 + s, x3 = x2 + s;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z, e0 = z, e1 = z, e2 = z, e3 = z;
        long p0 = row0, p1 = row1, p2 = row2, p3 = row3;
        for (int i = 0; i < cols; i += BLOCK, p0 += BLOCK_BYTES, p1 += BLOCK_BYTES, p2 += BLOCK_BYTES, p3 += BLOCK_BYTES) {
            FloatVector d0 = FloatVector.broadcast(F, Lanes.half(w, p0));
            FloatVector d1 = FloatVector.broadcast(F, Lanes.half(w, p1));
            FloatVector d2 = FloatVector.broadcast(F, Lanes.half(w, p2));
            FloatVector d3 = FloatVector.broadcast(F, Lanes.half(w, p3));
            for (int c = 0; c < BLOCK; c += L) {
                FloatVector q0 = scaled(w, p0, c, d0), q1 = scaled(w, p1, c, d1);
                FloatVector q2 = scaled(w, p2, c, d2), q3 = scaled(w, p3, c, d3);
                int j = i + c;
                FloatVector xv = FloatVector.fromArray(F, x, x0 + j);
                a0 = q0.fma(xv, a0);
                b0 = q1.fma(xv, b0);
                c0 = q2.fma(xv, c0);
                e0 = q3.fma(xv, e0);
                if (n > 1) {
                    xv = FloatVector.fromArray(F, x, x1 + j);
                    a1 = q0.fma(xv, a1);
                    b1 = q1.fma(xv, b1);
                    c1 = q2.fma(xv, c1);
                    e1 = q3.fma(xv, e1);
                }
                if (n > 2) {
                    xv = FloatVector.fromArray(F, x, x2 + j);
                    a2 = q0.fma(xv, a2);
                    b2 = q1.fma(xv, b2);
                    c2 = q2.fma(xv, c2);
                    e2 = q3.fma(xv, e2);
                }
                if (n > 3) {
                    xv = FloatVector.fromArray(F, x, x3 + j);
                    a3 = q0.fma(xv, a3);
                    b3 = q1.fma(xv, b3);
                    c3 = q2.fma(xv, c3);
                    e3 = q3.fma(xv, e3);
                }
            }
        }
        // Written out, not through a helper taking vectors: a helper the JIT declines to inline
        // (it does, once the helper is compiled on its own) boxes every vector passed to it.
        sums[0] = a0.reduceLanes(VectorOperators.ADD);
        sums[8] = b0.reduceLanes(VectorOperators.ADD);
        sums[16] = c0.reduceLanes(VectorOperators.ADD);
        sums[24] = e0.reduceLanes(VectorOperators.ADD);
        if (n > 1) {
            sums[1] = a1.reduceLanes(VectorOperators.ADD);
            sums[9] = b1.reduceLanes(VectorOperators.ADD);
            sums[17] = c1.reduceLanes(VectorOperators.ADD);
            sums[25] = e1.reduceLanes(VectorOperators.ADD);
        }
        if (n > 2) {
            sums[2] = a2.reduceLanes(VectorOperators.ADD);
            sums[10] = b2.reduceLanes(VectorOperators.ADD);
            sums[18] = c2.reduceLanes(VectorOperators.ADD);
            sums[26] = e2.reduceLanes(VectorOperators.ADD);
        }
        if (n > 3) {
            sums[3] = a3.reduceLanes(VectorOperators.ADD);
            sums[11] = b3.reduceLanes(VectorOperators.ADD);
            sums[19] = c3.reduceLanes(VectorOperators.ADD);
            sums[27] = e3.reduceLanes(VectorOperators.ADD);
        }
    }


    @Override
    int maxRows() {
        return 8;
    }

    /** The L weights at {@code c} in the block at byte {@code block}, times its scale {@code d}. */
    private static FloatVector scaled(MemorySegment w, long block, int c, FloatVector d) {
        return Lanes.toFloats(Lanes.bytes(w, block + QS + c)).mul(d);
    }

    @Override
    void dotRows2(MemorySegment w, long row0, long row1, int cols, float[] x, int xOffset, int xStride, int n, float[] sums) {
        if (n == 1) {
            pair1(w, row0, row1, cols, x, xOffset, sums);
        } else if (n <= 4) {
            pair2to4(w, row0, row1, cols, x, xOffset, xStride, n, sums);
        } else {
            pair5to8(w, row0, row1, cols, x, xOffset, xStride, n, sums);
        }
    }

    /*
     * Two weight rows at once: every activation vector is loaded once for both (a 512-bit load
     * takes both load slots of a Zen 4 cycle, so loads bound these loops before the multiply-adds
     * do). Weight row 0's results go to sums[k], row 1's to sums[8 + k]. With several activation
     * rows each block is decoded once and pre-scaled, shared by all rows, and rows beyond n are
     * skipped by loop-invariant branches: the work is exactly n rows'. (Loops of the same shape
     * for one weight row, 2-4 and 5-8 activation rows, went: they only took the one to three
     * weight rows a matrix has beyond a multiple of two or four, none in the models measured.)
     * pair2to4 and pair5to8 as one loop, rows 2-4 behind branches too, ran 8 rows as fast but a
     * 10-row product (a group of 8, then 2) at 164-186 GFLOP/s against 201-212 (KernelBench, 2
     * threads, alternated): a 2-row group paid for sixteen accumulators.
     */

    /** One activation row: per block, sum q * x, then scale once (as {@link #dot1}). */
    private static void pair1(MemorySegment w, long row0, long row1, int cols, float[] x, int x0, float[] sums) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        long b0 = row0, b1 = row1;
        for (int i = 0; i < cols; i += BLOCK, b0 += BLOCK_BYTES, b1 += BLOCK_BYTES) {
            FloatVector s0 = FloatVector.zero(F), s1 = s0;
            for (int c = 0; c < BLOCK; c += L) {
                FloatVector xv = FloatVector.fromArray(F, x, x0 + i + c);
                s0 = Lanes.toFloats(Lanes.bytes(w, b0 + QS + c)).fma(xv, s0);
                s1 = Lanes.toFloats(Lanes.bytes(w, b1 + QS + c)).fma(xv, s1);
            }
            acc0 = s0.fma(FloatVector.broadcast(F, Lanes.half(w, b0)), acc0);
            acc1 = s1.fma(FloatVector.broadcast(F, Lanes.half(w, b1)), acc1);
        }
        sums[0] = acc0.reduceLanes(VectorOperators.ADD);
        sums[8] = acc1.reduceLanes(VectorOperators.ADD);
    }

    /** 2 <= n <= 4 activation rows; pre-scaled weights, one accumulator per (weight row, activation row). */
    private static void pair2to4(MemorySegment w, long row0, long row1, int cols, float[] x, int x0, int s, int n, float[] sums) {
        int x1 = x0 + s, x2 = x1 + s, x3 = x2 + s;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, c0 = z, c1 = z, c2 = z, c3 = z;
        long b0 = row0, b1 = row1;
        for (int i = 0; i < cols; i += BLOCK, b0 += BLOCK_BYTES, b1 += BLOCK_BYTES) {
            FloatVector d0 = FloatVector.broadcast(F, Lanes.half(w, b0));
            FloatVector d1 = FloatVector.broadcast(F, Lanes.half(w, b1));
            for (int c = 0; c < BLOCK; c += L) {
                FloatVector q0 = scaled(w, b0, c, d0), q1 = scaled(w, b1, c, d1);
                int j = i + c;
                FloatVector xv = FloatVector.fromArray(F, x, x0 + j);
                a0 = q0.fma(xv, a0);
                c0 = q1.fma(xv, c0);
                xv = FloatVector.fromArray(F, x, x1 + j);
                a1 = q0.fma(xv, a1);
                c1 = q1.fma(xv, c1);
                if (n > 2) {
                    xv = FloatVector.fromArray(F, x, x2 + j);
                    a2 = q0.fma(xv, a2);
                    c2 = q1.fma(xv, c2);
                }
                if (n > 3) {
                    xv = FloatVector.fromArray(F, x, x3 + j);
                    a3 = q0.fma(xv, a3);
                    c3 = q1.fma(xv, c3);
                }
            }
        }
        sums[0] = a0.reduceLanes(VectorOperators.ADD);
        sums[8] = c0.reduceLanes(VectorOperators.ADD);
        sums[1] = a1.reduceLanes(VectorOperators.ADD);
        sums[9] = c1.reduceLanes(VectorOperators.ADD);
        if (n > 2) {
            sums[2] = a2.reduceLanes(VectorOperators.ADD);
            sums[10] = c2.reduceLanes(VectorOperators.ADD);
        }
        if (n > 3) {
            sums[3] = a3.reduceLanes(VectorOperators.ADD);
            sums[11] = c3.reduceLanes(VectorOperators.ADD);
        }
    }

    /** 5 <= n <= 8 activation rows. */
    private static void pair5to8(MemorySegment w, long row0, long row1, int cols, float[] x, int x0, int s, int n, float[] sums) {
        int x1 = x0 + s, x2 = x1 + s, x3 = x2 + s, x4 = x3 + s, x5 = x4 + s, x6 = x5 + s, x7 = x6 + s;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z;
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z, c7 = z;
        long b0 = row0, b1 = row1;
        for (int i = 0; i < cols; i += BLOCK, b0 += BLOCK_BYTES, b1 += BLOCK_BYTES) {
            FloatVector d0 = FloatVector.broadcast(F, Lanes.half(w, b0));
            FloatVector d1 = FloatVector.broadcast(F, Lanes.half(w, b1));
            for (int c = 0; c < BLOCK; c += L) {
                FloatVector q0 = scaled(w, b0, c, d0), q1 = scaled(w, b1, c, d1);
                int j = i + c;
                FloatVector xv = FloatVector.fromArray(F, x, x0 + j);
                a0 = q0.fma(xv, a0);
                c0 = q1.fma(xv, c0);
                xv = FloatVector.fromArray(F, x, x1 + j);
                a1 = q0.fma(xv, a1);
                c1 = q1.fma(xv, c1);
                xv = FloatVector.fromArray(F, x, x2 + j);
                a2 = q0.fma(xv, a2);
                c2 = q1.fma(xv, c2);
                xv = FloatVector.fromArray(F, x, x3 + j);
                a3 = q0.fma(xv, a3);
                c3 = q1.fma(xv, c3);
                xv = FloatVector.fromArray(F, x, x4 + j);
                a4 = q0.fma(xv, a4);
                c4 = q1.fma(xv, c4);
                if (n > 5) {
                    xv = FloatVector.fromArray(F, x, x5 + j);
                    a5 = q0.fma(xv, a5);
                    c5 = q1.fma(xv, c5);
                }
                if (n > 6) {
                    xv = FloatVector.fromArray(F, x, x6 + j);
                    a6 = q0.fma(xv, a6);
                    c6 = q1.fma(xv, c6);
                }
                if (n > 7) {
                    xv = FloatVector.fromArray(F, x, x7 + j);
                    a7 = q0.fma(xv, a7);
                    c7 = q1.fma(xv, c7);
                }
            }
        }
        sums[0] = a0.reduceLanes(VectorOperators.ADD);
        sums[8] = c0.reduceLanes(VectorOperators.ADD);
        sums[1] = a1.reduceLanes(VectorOperators.ADD);
        sums[9] = c1.reduceLanes(VectorOperators.ADD);
        sums[2] = a2.reduceLanes(VectorOperators.ADD);
        sums[10] = c2.reduceLanes(VectorOperators.ADD);
        sums[3] = a3.reduceLanes(VectorOperators.ADD);
        sums[11] = c3.reduceLanes(VectorOperators.ADD);
        sums[4] = a4.reduceLanes(VectorOperators.ADD);
        sums[12] = c4.reduceLanes(VectorOperators.ADD);
        if (n > 5) {
            sums[5] = a5.reduceLanes(VectorOperators.ADD);
            sums[13] = c5.reduceLanes(VectorOperators.ADD);
        }
        if (n > 6) {
            sums[6] = a6.reduceLanes(VectorOperators.ADD);
            sums[14] = c6.reduceLanes(VectorOperators.ADD);
        }
        if (n > 7) {
            sums[7] = a7.reduceLanes(VectorOperators.ADD);
            sums[15] = c7.reduceLanes(VectorOperators.ADD);
        }
    }
}
