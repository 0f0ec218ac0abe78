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
 * The {@link Interleaved} copy of a Q6_K matrix, in Q6_K's own terms: weight = d sc (code - 32)
 * with codes 0..63 one byte each (as {@link InterleavedInt8} holds them), Q6_K's signed 8-bit
 * scale sc per 16 columns as a byte, and d once per super-block of 256 columns: 34.5 bytes per
 * 32 weights against the file's 26.25 (an f32 scale per 16 columns, InterleavedInt8's layout
 * for Q6_K until this class, took 40, and decoding is bound by reading the copy). Per group, per super-block of
 * 276 G bytes, read front to back:
 * <pre>
 * offset           size  field
 *      0            4 G  d of each row (f32, row order)
 *    4 G + 34 G s  32 G  codes of block s = 0..7: byte j * G + lane(r) holds the code of column j of row r
 *   36 G + 34 G s   2 G  short lane(r) of block s: sc of its columns 0..15 | sc of 16..31 &lt;&lt; 8, row r
 * </pre>
 * With S = sum (code - 32) xq over 16 columns (two sums of 8 in 16-bit lanes: |code - 32| xq
 * <= 32 * 127, and 8 of those are 32512), a half block's product with x = dx xq is d sc dx S; the sc terms are summed
 * over a super-block's 8 blocks, then scaled by d once.
 */
final class InterleavedQ6K extends Interleaved {
    private static final long CODES = 32L * G;
    private static final long BLOCK_BYTES = 34L * G;
    /** Bytes of a super-block's d. */
    private static final long SCALES = 4L * G;
    /** Blocks per super-block. */
    private static final int PER_SUPER = 8;
    private static final long SUPER_BYTES = SCALES + PER_SUPER * BLOCK_BYTES;
    private static final short OFFSET = 32;

    InterleavedQ6K(MemorySegment data, int rows, int cols) {
        super(data, rows, cols, BLOCK_BYTES, cols / 256 * SCALES);
    }

    /** Bytes of one group of a matrix with {@code cols} columns. */
    static long groupBytes(int cols) {
        return cols / 256 * SUPER_BYTES;
    }

    @Override
    void putRow(MemorySegment group, int r, byte[] row, GgmlType type) {
        byte[] codes = new byte[BLOCK];
        float[] scales = new float[2], mins = new float[2];
        int lane = lane(r);
        for (int b = 0; b < blocks; b++) {
            int at = Q6KKernel.BLOCK_BYTES * (b / PER_SUPER), s = b % PER_SUPER;
            long front = b / PER_SUPER * SUPER_BYTES;
            if (s == 0) putFloat(group, front + 4L * r, half(row, at + 208));
            blockCodes(type, row, b, codes, scales, mins);
            long block = front + SCALES + s * BLOCK_BYTES;
            for (int j = 0; j < BLOCK; j++) putByte(group, block + (long) j * G + lane, codes[j]);
            putByte(group, block + CODES + 2L * lane, row[at + 192 + 2 * s]);
            putByte(group, block + CODES + 2L * lane + 1, row[at + 192 + 2 * s + 1]);
        }
    }

    /** sum (code - 32) xq over the 8 columns [8k, 8k + 8) of the block at byte {@code block}, per row, modulo 2^16. */
    private ShortVector quarter(long block, short[] q, int xb, int k) {
        ShortVector sum = ShortVector.zero(S);
        int xSum = 0;
        for (int j = 8 * k; j < 8 * k + 8; j++) {
            sum = sum.add(bytes(block + (long) j * G).mul(q[xb + j]));
            xSum += q[xb + j];
        }
        return sum.sub((short) (OFFSET * xSum));
    }

    /**
     * A signed byte of the shorts sc0 | sc1 &lt;&lt; 8 read as ints (short lanes 2i and 2i + 1 are
     * int i, see {@link #lane}), as floats: {@code at} 24 is the sc0 of rows 0..L-1, 16 their
     * sc1, 8 and 0 those of rows L..G-1 (the byte is shifted to the top, then back with its sign).
     */
    private static FloatVector signedByte(IntVector packed, int at) {
        return (FloatVector) packed.lanewise(VectorOperators.LSHL, at).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
    }

    @Override
    void multiply(Q8Activations x, int nRows, float[] out, int outStride, int g0, int g1) {
        for (int g = g0; g < g1; g++) {
            int valid = Math.min(G, rows - g * G);
            for (int r = 0; r < nRows; r++) group1(g, x, r, out, outStride, valid);
        }
    }

    /**
     * Group g with activation row r, into out[r * outStride + g * G ..] (the {@code valid} rows
     * of the group). The block's halves and their quarters are loops, each with one call site:
     * written out, the four {@link #quarter} calls took C2 past its node budget
     * (NodeCountInliningCutoff) and the super-block's scaling at the end of the loop ran boxed,
     * 14-52 MB of garbage per token of 1.1b Q6_K.
     */
    private void group1(int g, Q8Activations x, int r, float[] out, int outStride, int valid) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector lo = zero, hi = zero; // rows 0..L-1 and L..G-1
        long front = g * groupBytes;
        for (int k = 0; k < blocks / PER_SUPER; k++, front += SUPER_BYTES) {
            FloatVector sLo = zero, sHi = zero;
            long block = front + SCALES;
            for (int b = k * PER_SUPER; b < (k + 1) * PER_SUPER; b++, block += BLOCK_BYTES) {
                int xb = r * cols + b * BLOCK;
                float dx = x.d[r * blocks + b];
                IntVector packed = IntVector.fromMemorySegment(I, data, block + CODES, LE);
                for (int h = 0; h < 2; h++) {
                    IntVector sumLo = IntVector.zero(I), sumHi = sumLo;
                    for (int quarter = 2 * h; quarter < 2 * h + 2; quarter++) {
                        IntVector sums = quarter(block, x.q, xb, quarter).reinterpretAsInts();
                        sumLo = sumLo.add(lowInts(sums));
                        sumHi = sumHi.add(highInts(sums));
                    }
                    sLo = signedByte(packed, 24 - 8 * h).fma(scaled(sumLo, dx), sLo);
                    sHi = signedByte(packed, 8 - 8 * h).fma(scaled(sumHi, dx), sHi);
                }
            }
            lo = floats(front, 0).fma(sLo, lo);
            hi = floats(front, 1).fma(sHi, hi);
        }
        store(lo, hi, out, r * outStride + g * G, valid);
    }
}
