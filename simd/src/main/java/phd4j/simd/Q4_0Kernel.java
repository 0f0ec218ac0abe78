package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
    static void quantize(float[] src, int srcOff, int n, MemorySegment dst, long dstOffset) {
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
            dst.set(Lanes.SHORT_LE, block, Rounding.toHalf(d));
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

    /*
     * With 16 float lanes (AVX-512) a nibble's 16 possible weights, (n - 8) * d, fill one vector:
     * a lane permute (vpermd) indexed by the nibbles then dequantizes 16 weights in one
     * instruction, where low()/high() take a widening, a shift or mask, a subtraction and an
     * int-to-float conversion, plus the multiply by d. Exact: the same floats either way.
     * IntVector.selectFrom wraps indices to the vector length, so bits above a nibble's four do not matter.
     */
    static final boolean PERMUTE_PATH = L == 16;
    /** Lane n holds n - 8: times a block's scale, the block's table of weights. */
    private static final FloatVector NIBBLE_VALUES = FloatVector.zero(F).addIndex(1).sub(8);

    /** The permute path's table for a block of scale d (null without it). */
    private static IntVector table(FloatVector d) {
        return PERMUTE_PATH ? NIBBLE_VALUES.mul(d).reinterpretAsInts() : null;
    }

    /**
     * The block's weights [c, c + L), scaled: d is its scale broadcast, table its {@link #table}.
     * c is a multiple of L below 32.
     */
    private static FloatVector weights(MemorySegment w, long block, int c, FloatVector d, IntVector table) {
        if (PERMUTE_PATH) {
            IntVector q = (IntVector) Lanes.bytes(w, block + QS).convertShape(VectorOperators.ZERO_EXTEND_B2I, Lanes.I, 0);
            return (c == 0 ? q : q.lanewise(VectorOperators.LSHR, 4)).selectFrom(table).reinterpretAsFloats();
        }
        // lanes [c, c + L): low nibbles of bytes c.. for c < 16, high nibbles of bytes c - 16.. after
        ByteVector r = Lanes.bytes(w, block + QS + (c & 15));
        return (c < 16 ? low(r) : high(r)).mul(d);
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
            IntVector t0 = table(d0), t1 = table(d1);
            for (int c = 0; c < 32; c += L) {
                FloatVector q0 = weights(w, b0, c, d0, t0), q1 = weights(w, b1, c, d1, t1);
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
            IntVector t0 = table(d0), t1 = table(d1);
            for (int c = 0; c < 32; c += L) {
                FloatVector q0 = weights(w, b0, c, d0, t0), q1 = weights(w, b1, c, d1, t1);
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
     * One activation row (decode at K=1) with AVX-512: two weight rows per pass, each activation
     * vector loaded once for both, weights looked up by permute in tables that carry the block
     * scale (see PERMUTE_PATH), so a product is one fma per 16 weights. Exact, unlike the int16
     * kernel it replaced (activations rounded to 12 bits), and as fast: 1.80-1.86 against
     * 1.83 ns per 32-weight block and row on one Zen 4 core, the same 25 t/s on 1.1b Q4_0.
     */

    @Override
    boolean matmulOneRow(MemorySegment w, long rowBytes, int cols, float[] x, int xOffset, float[] out, int rowStart, int rowEnd) {
        if (!PERMUTE_PATH) {
            return false;
        }
        float[] sums = new float[2];
        int half = (rowEnd - rowStart) / 2;
        // Pairs (o, o + half): each row its own sequential stream (see RowDotKernel.matmul).
        for (int o = rowStart; o < rowStart + half; o++) {
            permutePair(w, o * rowBytes, (o + half) * rowBytes, cols, x, xOffset, sums);
            out[o] = sums[0];
            out[o + half] = sums[1];
        }
        if (rowStart + 2 * half < rowEnd) {
            int o = rowEnd - 1;
            permutePair(w, o * rowBytes, o * rowBytes, cols, x, xOffset, sums);
            out[o] = sums[0];
        }
        return true;
    }

    private static void permutePair(MemorySegment w, long row0, long row1, int cols, float[] x, int x0, float[] sums) {
        FloatVector lo0 = FloatVector.zero(F), hi0 = lo0, lo1 = lo0, hi1 = lo0;
        long b0 = row0, b1 = row1;
        for (int i = x0; i < x0 + cols; i += BLOCK, b0 += BLOCK_BYTES, b1 += BLOCK_BYTES) {
            FloatVector d0 = FloatVector.broadcast(F, Lanes.half(w, b0)), d1 = FloatVector.broadcast(F, Lanes.half(w, b1));
            IntVector t0 = table(d0), t1 = table(d1);
            FloatVector xlo = FloatVector.fromArray(F, x, i), xhi = FloatVector.fromArray(F, x, i + 16);
            lo0 = weights(w, b0, 0, d0, t0).fma(xlo, lo0);
            hi0 = weights(w, b0, 16, d0, t0).fma(xhi, hi0);
            lo1 = weights(w, b1, 0, d1, t1).fma(xlo, lo1);
            hi1 = weights(w, b1, 16, d1, t1).fma(xhi, hi1);
        }
        sums[0] = lo0.add(hi0).reduceLanes(VectorOperators.ADD);
        sums[1] = lo1.add(hi1).reduceLanes(VectorOperators.ADD);
    }
}
