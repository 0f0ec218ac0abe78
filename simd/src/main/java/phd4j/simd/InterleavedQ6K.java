package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.L;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The {@link Interleaved} copy of a Q6_K matrix: codes 0..63 (weight = scale * (code - 32)),
 * a scale per 16 columns. Per group, per 32-column block (8 bits a weight; the file has 6.56):
 * <pre>
 * offset   size  field
 *      0   16 G  low nibbles: byte j * G + lane(r) holds the low 4 bits of code j of row r and of code j + 16 (high nibble), j = 0..15
 *   16 G    8 G  high bits: byte j * G + lane(r) holds the top 2 bits of codes j, j + 8, j + 16, j + 24 (bits 0-1, 2-3, 4-5, 6-7), j = 0..7
 *   24 G    4 G  scale of columns 0..15 of each row's block (f32: d * the int8 sub-block scale)
 *   28 G    4 G  scale of columns 16..31
 * </pre>
 * A 16-bit lane cannot hold the sum of 16 products (|code - 32| * |xq| <= 32 * 127, times 16 is
 * 65024), but it holds 8 exactly (32512): each quarter of the block is summed on its own, and
 * the two quarters of a scale are added as ints. The byte lane of row r in the two code planes is
 * {@link #lane}(r), not r (see {@link #accumulate}); the scales are in row order.
 */
final class InterleavedQ6K extends Interleaved {
    private static final long HIGHS = 16L * G;
    private static final long SCALES = 24L * G;
    static final long BLOCK_BYTES = 32L * G;

    InterleavedQ6K(MemorySegment data, int rows, int cols) {
        super(data, rows, cols, BLOCK_BYTES);
    }

    @Override
    void put(MemorySegment to, long at, int r, byte[] codes, float[] scales, float[] mins) {
        int lane = lane(r);
        for (int j = 0; j < 16; j++) putByte(to, at + (long) j * G + lane, (byte) (codes[j] & 15 | (codes[j + 16] & 15) << 4));
        for (int j = 0; j < 8; j++) {
            int high = codes[j] >> 4 | codes[j + 8] >> 4 << 2 | codes[j + 16] >> 4 << 4 | codes[j + 24] >> 4 << 6;
            putByte(to, at + HIGHS + (long) j * G + lane, (byte) high);
        }
        putFloat(to, at + SCALES + 4L * r, scales[0]);
        putFloat(to, at + SCALES + 4L * G + 4L * r, scales[1]);
    }

    /** code - 32 of one quarter: {@code nibbles} masked or shifted, {@code high} the top bits already at bits 4-5. */
    private static ShortVector code(ShortVector nibbles, ShortVector high) {
        return nibbles.or(high.and((short) 48)).sub((short) 32);
    }

    private static ShortVector shl(ShortVector v, int n) {
        return v.lanewise(VectorOperators.LSHL, n);
    }

    private static ShortVector shr(ShortVector v, int n) {
        return v.lanewise(VectorOperators.LSHR, n);
    }

    /**
     * acc[0 .. G) + the block's products: the sums of each scale's two quarters (sums[0 .. 4G)),
     * widened and added as ints, times the activation step dx, times the scales of the block at
     * byte {@code block}. The widening reads the shorts as ints (lanes 2m, 2m + 1 are one int m)
     * and takes the low half of each for the first L rows and the high half for the others
     * ({@link Interleaved#lane}).
     */
    private void accumulate(short[] sums, float dx, long block, float[] acc) {
        IntVector q0 = ShortVector.fromArray(S, sums, 0).reinterpretAsInts(), q1 = ShortVector.fromArray(S, sums, G).reinterpretAsInts();
        IntVector q2 = ShortVector.fromArray(S, sums, 2 * G).reinterpretAsInts(), q3 = ShortVector.fromArray(S, sums, 3 * G).reinterpretAsInts();
        long first = block + SCALES, second = first + 4L * G;
        FloatVector lo = FloatVector.fromArray(F, acc, 0), hi = FloatVector.fromArray(F, acc, L);
        lo = toFloat(lowInts(q0).add(lowInts(q1)), dx).fma(floats(first, 0), lo);
        lo = toFloat(lowInts(q2).add(lowInts(q3)), dx).fma(floats(second, 0), lo);
        hi = toFloat(highInts(q0).add(highInts(q1)), dx).fma(floats(first, 1), hi);
        hi = toFloat(highInts(q2).add(highInts(q3)), dx).fma(floats(second, 1), hi);
        lo.intoArray(acc, 0);
        hi.intoArray(acc, L);
    }

    private static FloatVector toFloat(IntVector v, float dx) {
        return ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(dx);
    }

    /** Per calling thread: a block's four quarter sums (4G shorts) and a row's accumulators (G floats). */
    private record Scratch(short[] sums, float[] acc) {}

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(() -> new Scratch(new short[4 * G], new float[G]));

    /**
     * The four quarter sums of the block at byte {@code block} with the activations at q[xb], into
     * sums[0 .. 4G). The integer and the float phase of a block are methods of their own that pass
     * arrays, never vectors: C2 compiles a method within a node budget, the two phases in one loop
     * body exceed it, and the vector operations past the budget run boxed (measured: 10x slower).
     */
    private void quarterSums(long block, short[] q, int xb, short[] sums) {
        ShortVector s0 = ShortVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        for (int j = 0; j < 8; j++) {
            ShortVector n0 = bytes(block + (long) j * G), n1 = bytes(block + (long) (j + 8) * G);
            ShortVector h = bytes(block + HIGHS + (long) j * G);
            s0 = s0.add(code(n0.and((short) 15), shl(h, 4)).mul(q[xb + j]));
            s1 = s1.add(code(n1.and((short) 15), shl(h, 2)).mul(q[xb + 8 + j]));
            s2 = s2.add(code(shr(n0, 4), h).mul(q[xb + 16 + j]));
            s3 = s3.add(code(shr(n1, 4), shr(h, 2)).mul(q[xb + 24 + j]));
        }
        s0.intoArray(sums, 0);
        s1.intoArray(sums, G);
        s2.intoArray(sums, 2 * G);
        s3.intoArray(sums, 3 * G);
    }

    @Override
    void multiply(Q8Activations x, int nRows, float[] out, int outStride, int g0, int g1) {
        for (int g = g0; g < g1; g++) {
            int valid = Math.min(G, rows - g * G);
            for (int r = 0; r < nRows; r++) group1(g, x, r, out, outStride, valid);
        }
    }

    /** Group g with activation row r, into out[r * outStride + g * G ..] (the {@code valid} rows of the group). */
    private void group1(int g, Q8Activations x, int r, float[] out, int outStride, int valid) {
        Scratch s = SCRATCH.get();
        java.util.Arrays.fill(s.acc, 0);
        long block = (long) g * blocks * blockBytes;
        for (int b = 0; b < blocks; b++, block += blockBytes) {
            quarterSums(block, x.q, r * cols + b * BLOCK, s.sums);
            accumulate(s.sums, x.d[r * blocks + b], block, s.acc);
        }
        store(FloatVector.fromArray(F, s.acc, 0), FloatVector.fromArray(F, s.acc, L), out, r * outStride + g * G, valid);
    }
}
