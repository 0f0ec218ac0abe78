package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0: blocks of 32 weights in 18 bytes, {@code [fp16 d][16 bytes of nibbles]}. Byte j holds
 * element j in its low nibble and element j + 16 in its high nibble; weight = (nibble - 8) * d.
 */
public final class Q4_0Kernel extends RowDotKernel {
    static final Q4_0Kernel INSTANCE = new Q4_0Kernel();
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 18;
    private static final int QS = 2;

    private Q4_0Kernel() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    /** Scalar reference, written for clarity: the tests compare the vector code against it. */
    static void dequantizeReference(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Lanes.half(w, block);
            for (int j = 0; j < 16; j++) {
                int q = w.get(ValueLayout.JAVA_BYTE, block + QS + j) & 0xFF;
                dst[dstOffset + b * BLOCK + j] = ((q & 0x0F) - 8) * d;
                dst[dstOffset + b * BLOCK + j + 16] = ((q >>> 4) - 8) * d;
            }
        }
    }

    /**
     * F32 -> Q4_0, bit-exact with llama.cpp's reference quantizer (what llama-quantize uses): the
     * signed value of largest magnitude (the first one on ties) maps to -8, d = max / -8 stored
     * as fp16; each nibble is min(15, truncate(x * (1 / d) + 8.5f)) in float arithmetic.
     * {@code n} must be a multiple of 32.
     */
    public static void quantize(float[] src, int srcOff, int n, MemorySegment dst, long dstOffset) {
        Quantizers.checkBlocks(n, BLOCK, "Q4_0");
        for (int b = 0; b < n / BLOCK; b++) {
            int x = srcOff + b * BLOCK;
            long block = dstOffset + (long) b * BLOCK_BYTES;
            float amax = 0, max = 0;
            for (int j = 0; j < BLOCK; j++) {
                float v = src[x + j];
                // strictly greater: the first of equal magnitudes wins, and its sign sets d's sign
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1 / d : 0;
            dst.set(Lanes.SHORT_LE, block, Quantizers.toHalf(d));
            for (int j = 0; j < 16; j++) {
                // (int) truncates toward zero as C's (int8_t) conversion does; the sum is >= 0 here
                int lo = Math.min(15, (int) (src[x + j] * id + 8.5f));
                int hi = Math.min(15, (int) (src[x + 16 + j] * id + 8.5f));
                dst.set(ValueLayout.JAVA_BYTE, block + QS + j, (byte) (lo | hi << 4));
            }
        }
    }

    /*
     * The nibbles are split after widening to int lanes: x86 has no byte shift, and the JIT
     * emulates one (widen, shift, narrow) before the byte-to-float conversion widens again.
     * The JIT shares one widening between low() and high() of the same bytes.
     */

    /** Lanes 0..L-1: the low nibbles of L bytes, minus 8. */
    private static FloatVector low(ByteVector qs) {
        return (FloatVector) Lanes.toInts(qs).and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
    }

    /** Lanes 0..L-1: the high nibbles of L bytes, minus 8. */
    private static FloatVector high(ByteVector qs) {
        return (FloatVector) Lanes.toInts(qs).lanewise(VectorOperators.LSHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
    }

    @Override
    void dequantizeChecked(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Lanes.half(w, block);
            int out = dstOffset + b * BLOCK;
            for (int c = 0; c < 16; c += L) {
                ByteVector qs = Lanes.bytes(w, block + QS + c);
                low(qs).mul(d).intoArray(dst, out + c);
                high(qs).mul(d).intoArray(dst, out + 16 + c);
            }
        }
    }

    @Override
    float dot1(MemorySegment w, long row, int cols, float[] x, int xOffset) {
        FloatVector acc = FloatVector.zero(F);
        long block = row;
        for (int i = xOffset; i < xOffset + cols; i += BLOCK, block += BLOCK_BYTES) {
            // Sum q * x over the block, then scale once: one fma on the loop-carried accumulator per block.
            FloatVector sum = FloatVector.zero(F);
            for (int c = 0; c < 16; c += L) {
                ByteVector qs = Lanes.bytes(w, block + QS + c);
                sum = low(qs).fma(FloatVector.fromArray(F, x, i + c), sum);
                sum = high(qs).fma(FloatVector.fromArray(F, x, i + 16 + c), sum);
            }
            acc = sum.fma(FloatVector.broadcast(F, Lanes.half(w, block)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    void dot4(MemorySegment w, long row, int cols, float[] x, int x0, int x1, int x2, int x3, float[] sums) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        long block = row;
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            FloatVector sum0 = FloatVector.zero(F), sum1 = sum0, sum2 = sum0, sum3 = sum0;
            for (int c = 0; c < 16; c += L) {
                ByteVector qs = Lanes.bytes(w, block + QS + c);
                FloatVector lo = low(qs);
                FloatVector hi = high(qs);
                int j = i + c;
                sum0 = lo.fma(FloatVector.fromArray(F, x, x0 + j), sum0);
                sum1 = lo.fma(FloatVector.fromArray(F, x, x1 + j), sum1);
                sum2 = lo.fma(FloatVector.fromArray(F, x, x2 + j), sum2);
                sum3 = lo.fma(FloatVector.fromArray(F, x, x3 + j), sum3);
                sum0 = hi.fma(FloatVector.fromArray(F, x, x0 + j + 16), sum0);
                sum1 = hi.fma(FloatVector.fromArray(F, x, x1 + j + 16), sum1);
                sum2 = hi.fma(FloatVector.fromArray(F, x, x2 + j + 16), sum2);
                sum3 = hi.fma(FloatVector.fromArray(F, x, x3 + j + 16), sum3);
            }
            FloatVector d = FloatVector.broadcast(F, Lanes.half(w, block));
            acc0 = sum0.fma(d, acc0);
            acc1 = sum1.fma(d, acc1);
            acc2 = sum2.fma(d, acc2);
            acc3 = sum3.fma(d, acc3);
        }
        sums[0] = acc0.reduceLanes(VectorOperators.ADD);
        sums[1] = acc1.reduceLanes(VectorOperators.ADD);
        sums[2] = acc2.reduceLanes(VectorOperators.ADD);
        sums[3] = acc3.reduceLanes(VectorOperators.ADD);
    }

    @Override
    int weightStreams(int nRows, int cols) {
        return 2;
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
     * Two weight rows at once, every activation vector loaded once for both (see Q8_0Kernel).
     * Weight row 0's results go to sums[k], row 1's to sums[8 + k].
     */

    /** One activation row: per block, sum q * x, then scale once (as {@link #dot1}). */
    private static void pair1(MemorySegment w, long row0, long row1, int cols, float[] x, int x0, float[] sums) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        long b0 = row0, b1 = row1;
        for (int i = x0; i < x0 + cols; i += BLOCK, b0 += BLOCK_BYTES, b1 += BLOCK_BYTES) {
            FloatVector s0 = FloatVector.zero(F), s1 = s0;
            for (int c = 0; c < 16; c += L) {
                ByteVector q0 = Lanes.bytes(w, b0 + QS + c), q1 = Lanes.bytes(w, b1 + QS + c);
                FloatVector xv = FloatVector.fromArray(F, x, i + c);
                s0 = low(q0).fma(xv, s0);
                s1 = low(q1).fma(xv, s1);
                xv = FloatVector.fromArray(F, x, i + 16 + c);
                s0 = high(q0).fma(xv, s0);
                s1 = high(q1).fma(xv, s1);
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
            for (int c = 0; c < 32; c += L) {
                // lanes [c, c + L): low nibbles of bytes c.. for c < 16, high nibbles of bytes c - 16.. after
                int at = c < 16 ? c : c - 16;
                ByteVector r0 = Lanes.bytes(w, b0 + QS + at), r1 = Lanes.bytes(w, b1 + QS + at);
                FloatVector q0 = (c < 16 ? low(r0) : high(r0)).mul(d0);
                FloatVector q1 = (c < 16 ? low(r1) : high(r1)).mul(d1);
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
            for (int c = 0; c < 32; c += L) {
                int at = c < 16 ? c : c - 16;
                ByteVector r0 = Lanes.bytes(w, b0 + QS + at), r1 = Lanes.bytes(w, b1 + QS + at);
                FloatVector q0 = (c < 16 ? low(r0) : high(r0)).mul(d0);
                FloatVector q1 = (c < 16 ? low(r1) : high(r1)).mul(d1);
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

    @Override
    int maxRows() {
        return 8;
    }

    @Override
    void dotRows(MemorySegment w, long row, int cols, float[] x, int xOffset, int xStride, int n, float[] sums) {
        if (n == 1) {
            sums[0] = dot1(w, row, cols, x, xOffset);
        } else if (n <= 4) {
            dot2to4(w, row, cols, x, xOffset, xStride, n, sums);
        } else {
            dot5to8(w, row, cols, x, xOffset, xStride, n, sums);
        }
    }

    /*
     * Multi-row dot products: the L bytes at c of a block hold elements [c, c + L) (low nibbles)
     * and [c + 16, c + 16 + L) (high nibbles); both are decoded once and pre-scaled by the block
     * scale, then every row takes one multiply-add per decoded vector, into two accumulators
     * (low, high). Rows beyond n are skipped by loop-invariant branches: the work is exactly n rows'.
     */

    /** 2 <= n <= 4 rows. */
    private static void dot2to4(MemorySegment w, long row, int cols, float[] x, int x0, int s, int n, float[] sums) {
        int x1 = x0 + s, x2 = x1 + s, x3 = x2 + s;
        FloatVector a0 = FloatVector.zero(F), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
        long block = row;
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(F, Lanes.half(w, block));
            for (int c = 0; c < 16; c += L) {
                ByteVector qs = Lanes.bytes(w, block + QS + c);
                FloatVector lo = low(qs).mul(d), hi = high(qs).mul(d);
                int j = i + c;
                a0 = lo.fma(FloatVector.fromArray(F, x, x0 + j), a0);
                b0 = hi.fma(FloatVector.fromArray(F, x, x0 + j + 16), b0);
                a1 = lo.fma(FloatVector.fromArray(F, x, x1 + j), a1);
                b1 = hi.fma(FloatVector.fromArray(F, x, x1 + j + 16), b1);
                if (n > 2) {
                    a2 = lo.fma(FloatVector.fromArray(F, x, x2 + j), a2);
                    b2 = hi.fma(FloatVector.fromArray(F, x, x2 + j + 16), b2);
                }
                if (n > 3) {
                    a3 = lo.fma(FloatVector.fromArray(F, x, x3 + j), a3);
                    b3 = hi.fma(FloatVector.fromArray(F, x, x3 + j + 16), b3);
                }
            }
        }
        sums[0] = a0.add(b0).reduceLanes(VectorOperators.ADD);
        sums[1] = a1.add(b1).reduceLanes(VectorOperators.ADD);
        if (n > 2) sums[2] = a2.add(b2).reduceLanes(VectorOperators.ADD);
        if (n > 3) sums[3] = a3.add(b3).reduceLanes(VectorOperators.ADD);
    }

    /** 5 <= n <= 8 rows. */
    private static void dot5to8(MemorySegment w, long row, int cols, float[] x, int x0, int s, int n, float[] sums) {
        int x1 = x0 + s, x2 = x1 + s, x3 = x2 + s, x4 = x3 + s, x5 = x4 + s, x6 = x5 + s, x7 = x6 + s;
        FloatVector a0 = FloatVector.zero(F), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
        FloatVector a4 = a0, b4 = a0, a5 = a0, b5 = a0, a6 = a0, b6 = a0, a7 = a0, b7 = a0;
        long block = row;
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(F, Lanes.half(w, block));
            for (int c = 0; c < 16; c += L) {
                ByteVector qs = Lanes.bytes(w, block + QS + c);
                FloatVector lo = low(qs).mul(d), hi = high(qs).mul(d);
                int j = i + c;
                a0 = lo.fma(FloatVector.fromArray(F, x, x0 + j), a0);
                b0 = hi.fma(FloatVector.fromArray(F, x, x0 + j + 16), b0);
                a1 = lo.fma(FloatVector.fromArray(F, x, x1 + j), a1);
                b1 = hi.fma(FloatVector.fromArray(F, x, x1 + j + 16), b1);
                a2 = lo.fma(FloatVector.fromArray(F, x, x2 + j), a2);
                b2 = hi.fma(FloatVector.fromArray(F, x, x2 + j + 16), b2);
                a3 = lo.fma(FloatVector.fromArray(F, x, x3 + j), a3);
                b3 = hi.fma(FloatVector.fromArray(F, x, x3 + j + 16), b3);
                a4 = lo.fma(FloatVector.fromArray(F, x, x4 + j), a4);
                b4 = hi.fma(FloatVector.fromArray(F, x, x4 + j + 16), b4);
                if (n > 5) {
                    a5 = lo.fma(FloatVector.fromArray(F, x, x5 + j), a5);
                    b5 = hi.fma(FloatVector.fromArray(F, x, x5 + j + 16), b5);
                }
                if (n > 6) {
                    a6 = lo.fma(FloatVector.fromArray(F, x, x6 + j), a6);
                    b6 = hi.fma(FloatVector.fromArray(F, x, x6 + j + 16), b6);
                }
                if (n > 7) {
                    a7 = lo.fma(FloatVector.fromArray(F, x, x7 + j), a7);
                    b7 = hi.fma(FloatVector.fromArray(F, x, x7 + j + 16), b7);
                }
            }
        }
        sums[0] = a0.add(b0).reduceLanes(VectorOperators.ADD);
        sums[1] = a1.add(b1).reduceLanes(VectorOperators.ADD);
        sums[2] = a2.add(b2).reduceLanes(VectorOperators.ADD);
        sums[3] = a3.add(b3).reduceLanes(VectorOperators.ADD);
        sums[4] = a4.add(b4).reduceLanes(VectorOperators.ADD);
        if (n > 5) sums[5] = a5.add(b5).reduceLanes(VectorOperators.ADD);
        if (n > 6) sums[6] = a6.add(b6).reduceLanes(VectorOperators.ADD);
        if (n > 7) sums[7] = a7.add(b7).reduceLanes(VectorOperators.ADD);
    }

    /*
     * One activation row (decode at K=1) in 16-bit integers. The row is quantized once per call
     * to 12-bit integers with a float scale per 32-element block (xd = amax / 2047, xq =
     * round(x / xd)); a block's dot product is then exact in int16: (nibble - 8) in [-8, 7] times
     * xq in [-2047, 2047] is at most 16376, and a lane sums two such products (at most 32752).
     * Per block: one 16-bit multiply per 16 weights instead of a float conversion and fma each,
     * about 30 % fewer vector operations. The only error is xq's rounding: |x - xd * xq| <= xd / 2,
     * so |result - exact| <= sum_j |w_j| * amax(block of j) / 4094 (plus float summation error).
     */
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    /** The int16 path needs 16-lane 512-bit float/int vectors (AVX-512); elsewhere the float path runs. */
    static final boolean INT16_PATH = F.length() == 16 && FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    static final int XQ_MAX = 2047;

    /** Per-thread quantized copy of the activation row. */
    private static final ThreadLocal<short[][]> XQ = ThreadLocal.withInitial(() -> new short[1][0]);
    private static final ThreadLocal<float[][]> XD = ThreadLocal.withInitial(() -> new float[1][0]);

    /** 1.5 * 2^23: adding it to a float of magnitude below 2^22 leaves the nearest integer in the low mantissa bits. */
    private static final float ROUNDER = 0x1.8p23f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);

    /**
     * x[xOffset .. xOffset + cols) as xq (12-bit integers, rounded to nearest, ties to even) and
     * xd (a scale per block of 32). Vectorized: every chunk of rows a thread takes quantizes the
     * row again, so its cost is paid several times per product.
     */
    static void quantizeRow(float[] x, int xOffset, int cols, short[] xq, float[] xd) {
        for (int b = 0; b < cols / BLOCK; b++) {
            int at = xOffset + b * BLOCK;
            FloatVector m = FloatVector.zero(F);
            for (int c = 0; c < BLOCK; c += L) {
                m = m.max(FloatVector.fromArray(F, x, at + c).abs());
            }
            float d = m.reduceLanes(VectorOperators.MAX) / XQ_MAX;
            float id = d != 0 ? 1 / d : 0;
            xd[b] = d;
            for (int c = 0; c < BLOCK; c += L) {
                IntVector q = FloatVector.fromArray(F, x, at + c).mul(id).add(ROUNDER).reinterpretAsInts().sub(ROUNDER_BITS);
                ((ShortVector) q.convertShape(VectorOperators.I2S, Lanes.S, 0)).intoArray(xq, b * BLOCK + c);
            }
        }
    }

    @Override
    boolean matmulOneRow(MemorySegment w, long rowBytes, int cols, float[] x, int xOffset, float[] out, int rowStart, int rowEnd) {
        if (!INT16_PATH) {
            return false;
        }
        short[][] qh = XQ.get();
        float[][] dh = XD.get();
        if (qh[0].length < cols) {
            qh[0] = new short[cols];
            dh[0] = new float[cols / BLOCK];
        }
        short[] xq = qh[0];
        float[] xd = dh[0];
        quantizeRow(x, xOffset, cols, xq, xd);
        float[] sums = new float[2];
        int half = (rowEnd - rowStart) / 2;
        // Pairs (o, o + half): each activation vector loaded once for two weight rows, each row
        // its own sequential stream (see RowDotKernel.matmul).
        for (int o = rowStart; o < rowStart + half; o++) {
            int16Pair(w, o * rowBytes, (o + half) * rowBytes, cols, xq, xd, sums);
            out[o] = sums[0];
            out[o + half] = sums[1];
        }
        if (rowStart + 2 * half < rowEnd) {
            int o = rowEnd - 1;
            int16Pair(w, o * rowBytes, o * rowBytes, cols, xq, xd, sums);
            out[o] = sums[0];
        }
        return true;
    }

    private static void int16Pair(MemorySegment w, long row0, long row1, int cols, short[] xq, float[] xd, float[] sums) {
        FloatVector acc0 = FloatVector.zero(F16), acc1 = acc0;
        long b0 = row0, b1 = row1;
        for (int i = 0, b = 0; i < cols; i += BLOCK, b++, b0 += BLOCK_BYTES, b1 += BLOCK_BYTES) {
            ShortVector xlo = ShortVector.fromArray(S16, xq, i);
            ShortVector xhi = ShortVector.fromArray(S16, xq, i + 16);
            float dx = xd[b];
            // XOR 0x88 flips bit 3 of both nibbles: as a signed 4-bit number, nibble ^ 8 is nibble - 8.
            ShortVector s0 = (ShortVector) ByteVector.fromMemorySegment(B16, w, b0 + QS, java.nio.ByteOrder.LITTLE_ENDIAN)
                    .lanewise(VectorOperators.XOR, (byte) 0x88).convertShape(VectorOperators.B2S, S16, 0);
            ShortVector s1 = (ShortVector) ByteVector.fromMemorySegment(B16, w, b1 + QS, java.nio.ByteOrder.LITTLE_ENDIAN)
                    .lanewise(VectorOperators.XOR, (byte) 0x88).convertShape(VectorOperators.B2S, S16, 0);
            ShortVector p0 = s0.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 12).mul(xlo)
                    .add(s0.lanewise(VectorOperators.ASHR, 4).mul(xhi));
            ShortVector p1 = s1.lanewise(VectorOperators.LSHL, 12).lanewise(VectorOperators.ASHR, 12).mul(xlo)
                    .add(s1.lanewise(VectorOperators.ASHR, 4).mul(xhi));
            FloatVector f0 = (FloatVector) p0.convertShape(VectorOperators.S2I, I16, 0).convert(VectorOperators.I2F, 0);
            FloatVector f1 = (FloatVector) p1.convertShape(VectorOperators.S2I, I16, 0).convert(VectorOperators.I2F, 0);
            acc0 = f0.fma(FloatVector.broadcast(F16, Lanes.half(w, b0) * dx), acc0);
            acc1 = f1.fma(FloatVector.broadcast(F16, Lanes.half(w, b1) * dx), acc1);
        }
        sums[0] = acc0.reduceLanes(VectorOperators.ADD);
        sums[1] = acc1.reduceLanes(VectorOperators.ADD);
    }
}
