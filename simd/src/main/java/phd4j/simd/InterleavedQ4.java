package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.L;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The {@link Interleaved} copy of a Q4_0 or Q4_1 matrix: codes 0..15, one scale and min per 32
 * columns (Q4_K has its own, {@link InterleavedQ4K}). Per group, per 32-column block:
 * <pre>
 * offset   size  field
 *      0   16 G  nibbles: byte j * G + lane(r) holds code j of row r (low nibble) and code j + 16 (high), j = 0..15
 *   16 G    4 G  scale s of each row's block (f32)
 *   20 G    4 G  min m of each row's block (f32); absent for Q4_0, where m = 8 s
 * </pre>
 * The product of a block with activations x = dx * xq: with S = sum (code - 8) * xq, a 16-bit
 * lane holds S exactly (|S| <= 32 * 8 * 127 = 32512; the lanes add sum code * xq and subtract
 * 8 sum xq modulo 2^16, and the true result fits), and
 * sum weight * x = dx * (s * S + (8 s - m) * sum xq).
 */
final class InterleavedQ4 extends Interleaved {
    private static final long NIBBLES = 16L * G;

    private final boolean mins;

    InterleavedQ4(MemorySegment data, int rows, int cols, boolean mins) {
        super(data, rows, cols, blockBytes(mins), 0);
        this.mins = mins;
    }

    static long blockBytes(boolean mins) {
        return NIBBLES + 4L * G * (mins ? 2 : 1);
    }

    @Override
    void putRow(MemorySegment group, int r, byte[] row, GgmlType type) {
        putBlocks(group, r, row, type, this::put);
    }

    /** Row r's block (its codes, scales and mins as {@link #blockCodes} gives them) into the group's block at byte {@code at}. */
    private void put(MemorySegment to, long at, int r, byte[] codes, float[] scales, float[] mins) {
        int lane = lane(r);
        for (int j = 0; j < 16; j++) putByte(to, at + (long) j * G + lane, (byte) (codes[j] | codes[j + 16] << 4));
        putFloat(to, at + NIBBLES + 4L * r, scales[0]);
        if (this.mins) putFloat(to, at + NIBBLES + 4L * G + 4L * r, mins[0]);
    }

    private static ShortVector low(ShortVector codes) {
        return codes.and((short) 15);
    }

    private static ShortVector high(ShortVector codes) {
        return codes.lanewise(VectorOperators.LSHR, 4);
    }

    /**
     * acc + the float lanes [part * L, part * L + L) of one block's products: S (the block's
     * 16-bit sums, 8 sum xq already taken off) of activation block i of x.
     */
    private FloatVector accumulate(ShortVector sum, int part, long block, Q8Activations x, int i, FloatVector acc) {
        FloatVector s = toFloat(sum, part);
        FloatVector scale = floats(block + NIBBLES, part);
        if (!mins) return s.mul(x.d[i]).fma(scale, acc);
        // s * (dx S + 8 dx sum xq) - m * dx sum xq
        FloatVector min = floats(block + NIBBLES + 4L * G, part);
        return FloatVector.broadcast(F, -x.dSum[i]).fma(min, s.fma(x.d[i], 8 * x.dSum[i]).fma(scale, acc));
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
        short[] q = x.q;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        long block = g * groupBytes;
        for (int b = 0; b < blocks; b++, block += blockBytes) {
            int xb = r * cols + b * BLOCK, i = r * blocks + b;
            ShortVector sum = ShortVector.zero(S);
            for (int j = 0; j < 16; j++) {
                ShortVector c = bytes(block + (long) j * G);
                sum = sum.add(low(c).mul(q[xb + j])).add(high(c).mul(q[xb + 16 + j]));
            }
            sum = sum.sub(x.eightSum[i]);
            acc0 = accumulate(sum, 0, block, x, i, acc0);
            acc1 = accumulate(sum, 1, block, x, i, acc1);
        }
        store(acc0, acc1, out, r * outStride + g * G, valid);
    }
}
