package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.I;
import static phd4j.simd.Lanes.L;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The {@link Interleaved} copy of a Q4_K matrix, in Q4_K's own terms: weight = d sc code - dmin m
 * with codes 0..15, a 6-bit scale sc and min m per 32 columns and d, dmin per super-block of 256
 * columns. Keeping sc and m as bytes and d, dmin once per super-block makes the copy 19 bytes per
 * 32 weights against the file's 18 (one f32 scale and min per block, as {@link InterleavedQ4}
 * holds Q4_1, took 24: 1.33x the file, and decoding is bound by reading it). Per group, per
 * super-block of 152 G bytes, read front to back:
 * <pre>
 * offset          size  field
 *      0           4 G  d of each row (f32, row order)
 *    4 G           4 G  dmin of each row
 *    8 G + 18 G s 16 G  nibbles of block s = 0..7: byte j * G + lane(r) holds code j of row r (low) and j + 16 (high)
 *   24 G + 18 G s  2 G  short lane(r) of block s: sc | m &lt;&lt; 8 of row r
 * </pre>
 * The super-block's d and dmin lie in front of its blocks, not after the group's blocks: as a
 * second stream read every 8 blocks the hardware prefetcher missed them, and KernelBench ran at
 * 65-74 GFLOP/s instead of 126.
 * With S = sum (code - 8) xq over a block (a 16-bit lane holds it, as in InterleavedQ4), its
 * product with x = dx xq is d sc dx (S + 8 sum xq) - dmin m dx sum xq: the sc and m terms are
 * summed over a super-block's 8 blocks, then scaled by d and dmin once.
 */
final class InterleavedQ4K extends Interleaved {
    private static final long NIBBLES = 16L * G;
    private static final long BLOCK_BYTES = 18L * G;
    /** Bytes of a super-block's d and dmin. */
    private static final long SCALES = 8L * G;
    /** Blocks per super-block. */
    private static final int PER_SUPER = 8;
    private static final long SUPER_BYTES = SCALES + PER_SUPER * BLOCK_BYTES;

    InterleavedQ4K(MemorySegment data, int rows, int cols) {
        super(data, rows, cols, BLOCK_BYTES, cols / 256 * SCALES);
    }

    /** Bytes of one group of a matrix with {@code cols} columns. */
    static long groupBytes(int cols) {
        return cols / 256 * SUPER_BYTES;
    }

    @Override
    void putRow(MemorySegment group, int r, byte[] row, GgmlType type) {
        MemorySegment packed = MemorySegment.ofArray(row);
        byte[] codes = new byte[BLOCK];
        float[] scales = new float[2], mins = new float[2];
        int lane = lane(r);
        for (int b = 0; b < blocks; b++) {
            int at = Q4KKernel.BLOCK_BYTES * (b / PER_SUPER), s = b % PER_SUPER;
            long front = b / PER_SUPER * SUPER_BYTES;
            if (s == 0) {
                putFloat(group, front + 4L * r, half(row, at));
                putFloat(group, front + 4L * G + 4L * r, half(row, at + 2));
            }
            blockCodes(type, row, b, codes, scales, mins);
            long block = front + SCALES + s * BLOCK_BYTES;
            for (int j = 0; j < 16; j++) putByte(group, block + (long) j * G + lane, (byte) (codes[j] | codes[j + 16] << 4));
            int sc = KQuants.scale6(packed, at + 4, s), m = KQuants.min6(packed, at + 4, s);
            putByte(group, block + NIBBLES + 2L * lane, (byte) sc);
            putByte(group, block + NIBBLES + 2L * lane + 1, (byte) m);
        }
    }

    private static ShortVector low(ShortVector codes) {
        return codes.and((short) 15);
    }

    private static ShortVector high(ShortVector codes) {
        return codes.lanewise(VectorOperators.LSHR, 4);
    }

    /**
     * A byte of the shorts sc | m &lt;&lt; 8 read as ints (short lanes 2i and 2i + 1 are int i, see
     * {@link #lane}), as floats: {@code shift} 0 the sc of rows 0..L-1, 8 their m, 16 and 24 those
     * of rows L..G-1.
     */
    private static FloatVector byteOf(IntVector packed, int shift) {
        return (FloatVector) packed.lanewise(VectorOperators.LSHR, shift).and(0xFF).convert(VectorOperators.I2F, 0);
    }

    @Override
    void multiply(Q8Activations x, int nRows, float[] out, int outStride, int g0, int g1) {
        for (int g = g0; g < g1; g++) {
            int valid = Math.min(G, rows - g * G);
            for (int r = 0; r < nRows; r++) {
                codes(g, x, r, out, outStride, valid);
                mins(g, x, r, out, outStride, valid);
            }
        }
    }

    /*
     * A group's product with an activation row is taken in two loops over its blocks, the codes'
     * terms and then the mins': in one loop C2 ran out of its node budget (NodeCountInliningCutoff)
     * and left the super-block scale loads at its end as boxed calls, 19 GB of garbage in a
     * tg128 run of 1.1b Q4_K_M.
     */

    /** out[r * outStride + g * G ..] = sum d sc dx (S + 8 sum xq) over the row's blocks, for the {@code valid} rows of group g. */
    private void codes(int g, Q8Activations x, int r, float[] out, int outStride, int valid) {
        short[] q = x.q;
        FloatVector zero = FloatVector.zero(F);
        FloatVector acc0 = zero, acc1 = zero; // the two halves of the group's rows
        long front = g * groupBytes;
        for (int k = 0; k < blocks / PER_SUPER; k++, front += SUPER_BYTES) {
            FloatVector sc0 = zero, sc1 = zero;
            long block = front + SCALES;
            for (int b = k * PER_SUPER; b < (k + 1) * PER_SUPER; b++, block += BLOCK_BYTES) {
                int xb = r * cols + b * BLOCK, i = r * blocks + b;
                ShortVector sum = ShortVector.zero(S);
                for (int j = 0; j < 16; j++) {
                    ShortVector c = bytes(block + (long) j * G);
                    sum = sum.add(low(c).mul(q[xb + j])).add(high(c).mul(q[xb + 16 + j]));
                }
                sum = sum.sub(x.eightSum[i]);
                IntVector packed = IntVector.fromMemorySegment(I, data, block + NIBBLES, LE);
                float dx = x.d[i], eight = 8 * x.dSum[i];
                sc0 = byteOf(packed, 0).fma(toFloat(sum, 0).fma(dx, eight), sc0);
                sc1 = byteOf(packed, 16).fma(toFloat(sum, 1).fma(dx, eight), sc1);
            }
            acc0 = floats(front, 0).fma(sc0, acc0);
            acc1 = floats(front, 1).fma(sc1, acc1);
        }
        store(acc0, acc1, out, r * outStride + g * G, valid);
    }

    /** Takes sum dmin m dx sum xq over the row's blocks off what {@link #codes} stored. */
    private void mins(int g, Q8Activations x, int r, float[] out, int outStride, int valid) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector acc0 = zero, acc1 = zero;
        long front = g * groupBytes;
        for (int k = 0; k < blocks / PER_SUPER; k++, front += SUPER_BYTES) {
            FloatVector m0 = zero, m1 = zero;
            long block = front + SCALES;
            for (int b = k * PER_SUPER; b < (k + 1) * PER_SUPER; b++, block += BLOCK_BYTES) {
                IntVector packed = IntVector.fromMemorySegment(I, data, block + NIBBLES, LE);
                FloatVector dSum = FloatVector.broadcast(F, x.dSum[r * blocks + b]);
                m0 = byteOf(packed, 8).fma(dSum, m0);
                m1 = byteOf(packed, 24).fma(dSum, m1);
            }
            acc0 = floats(front + 4L * G, 0).fma(m0, acc0);
            acc1 = floats(front + 4L * G, 1).fma(m1, acc1);
        }
        int at = r * outStride + g * G;
        if (valid == G) {
            store(FloatVector.fromArray(F, out, at).sub(acc0), FloatVector.fromArray(F, out, at + L).sub(acc1), out, at, valid);
        } else {
            store(FloatVector.fromArray(F, out, at, F.indexInRange(0, valid)).sub(acc0),
                    FloatVector.fromArray(F, out, at + L, F.indexInRange(L, valid)).sub(acc1), out, at, valid);
        }
    }
}
