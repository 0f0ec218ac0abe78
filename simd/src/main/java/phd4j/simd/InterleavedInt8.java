package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.I;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * The {@link Interleaved} copy of a Q5_0, Q5_1 or Q5_K matrix as one byte a weight: codes 0..31,
 * centred on o = 16, and a scale per block of 32 columns. Per group, per block (9 or 10 bits a
 * weight; the files have 5.5, 6 and 5.5):
 * <pre>
 * offset   size  field
 *      0   32 G  codes: byte j * G + lane(r) holds the code of column j of row r, j = 0..31
 *   32 G    4 G  scale s of each row's block (f32)
 *   36 G    4 G  bias o s - m of each row's block (f32); only for Q5_1 and Q5_K, whose blocks
 *                have a min m (for Q5_0, m = o s)
 * </pre>
 * With weight = s code - m = s (code - o) + (o s - m), a block's product with x = dx xq is
 * dx s S + (o s - m) dx sum xq, where S = sum (code - o) xq. A code is one load and a multiply.
 * A 16-bit lane holds the sum of a half block exactly (|code - o| xq <= 16 * 127, times 16 is
 * 32512; Q6_K's 6-bit codes, twice that, need quarters: {@link InterleavedQ6K}); the halves are
 * added as ints. (With a scale per 16 columns, as Q6_K has, and quarter sums, the copy of 1.1b
 * Q5_0 took 1.20 GiB, not 1.08, and decoded at 22.6-28.5 t/s against 24.5-36.4, alternated.)
 * The byte lane of row r is {@link #lane}(r), not r (see {@link #group1}); the scales are in row
 * order.
 */
final class InterleavedInt8 extends Interleaved {
    private static final long SCALES = 32L * G;
    private static final long BIAS = 36L * G;

    /** The centre o of the codes. */
    private static final short OFFSET = 16;
    /** Whether blocks have a bias (Q5_1, Q5_K). */
    private final boolean bias;

    InterleavedInt8(MemorySegment data, int rows, int cols, GgmlType type) {
        super(data, rows, cols, blockBytes(type), 0);
        this.bias = hasBias(type);
    }

    private static boolean hasBias(GgmlType type) {
        return type == GgmlType.Q5_1 || type == GgmlType.Q5_K;
    }

    static long blockBytes(GgmlType type) {
        return hasBias(type) ? BIAS + 4L * G : BIAS;
    }

    @Override
    void putRow(MemorySegment group, int r, byte[] row, GgmlType type) {
        putBlocks(group, r, row, type, this::put);
    }

    /** Row r's block (its codes, scales and mins as {@link #blockCodes} gives them) into the group's block at byte {@code at}. */
    private void put(MemorySegment to, long at, int r, byte[] codes, float[] scales, float[] mins) {
        int lane = lane(r);
        for (int j = 0; j < BLOCK; j++) putByte(to, at + (long) j * G + lane, codes[j]);
        putFloat(to, at + SCALES + 4L * r, scales[0]); // = scales[1]: one scale a block
        if (bias) putFloat(to, at + BIAS + 4L * r, OFFSET * scales[0] - mins[0]);
    }

    /** sum (code - o) xq over the 16 columns [16 h, 16 h + 16) of the block at byte {@code block}, per row, modulo 2^16. */
    private ShortVector half(long block, short[] q, int xb, int h) {
        ShortVector sum = ShortVector.zero(S);
        int xSum = 0;
        for (int j = 16 * h; j < 16 * h + 16; j++) {
            sum = sum.add(bytes(block + (long) j * G).mul(q[xb + j]));
            xSum += q[xb + j];
        }
        return sum.sub((short) (OFFSET * xSum));
    }

    @Override
    void multiply(Q8Activations x, int nRows, float[] out, int outStride, int g0, int g1) {
        for (int g = g0; g < g1; g++) {
            int valid = Math.min(G, rows - g * G);
            for (int r = 0; r < nRows; r++) group1(g, x, r, out, outStride, valid);
        }
    }

    /**
     * Group g with activation row r, into out[r * outStride + g * G ..] (the {@code valid} rows of
     * the group). Each half block's sums are widened by reading the shorts as ints (lanes 2m,
     * 2m + 1 are one int m): the low half of each is one of the first L rows, the high half one of
     * the others ({@link Interleaved#lane}). Integer and float work share one loop body, the
     * accumulators stay in registers: for Q6_K, when this class held it, splitting them into two
     * methods that pass the sums through an array ran at 32 GFLOP/s against 72.
     */
    private void group1(int g, Q8Activations x, int r, float[] out, int outStride, int valid) {
        FloatVector lo = FloatVector.zero(F), hi = lo;
        long block = g * groupBytes;
        for (int b = 0; b < blocks; b++, block += blockBytes) {
            int xb = r * cols + b * BLOCK;
            float dx = x.d[r * blocks + b];
            IntVector sumLo = IntVector.zero(I), sumHi = sumLo;
            for (int h = 0; h < 2; h++) {
                IntVector sums = half(block, x.q, xb, h).reinterpretAsInts();
                sumLo = sumLo.add(lowInts(sums));
                sumHi = sumHi.add(highInts(sums));
            }
            lo = scaled(sumLo, dx).fma(floats(block + SCALES, 0), lo);
            hi = scaled(sumHi, dx).fma(floats(block + SCALES, 1), hi);
            if (bias) {
                FloatVector dSum = FloatVector.broadcast(F, x.dSum[r * blocks + b]);
                lo = dSum.fma(floats(block + BIAS, 0), lo);
                hi = dSum.fma(floats(block + BIAS, 1), hi);
            }
        }
        store(lo, hi, out, r * outStride + g * G, valid);
    }
}
