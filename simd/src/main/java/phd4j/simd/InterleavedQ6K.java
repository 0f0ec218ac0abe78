package phd4j.simd;

import static phd4j.simd.Lanes.F;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The {@link Interleaved} copy of a Q6_K matrix: codes 0..63 (weight = scale * (code - 32)),
 * a scale per 16 columns. Per group, per 32-column block (8 bits a weight; the file has 6.56):
 * <pre>
 * offset   size  field
 *      0   16 G  low nibbles: byte j * G + r holds the low 4 bits of code j of row r and of code j + 16 (high nibble), j = 0..15
 *   16 G    8 G  high bits: byte j * G + r holds the top 2 bits of codes j, j + 8, j + 16, j + 24 (bits 0-1, 2-3, 4-5, 6-7), j = 0..7
 *   24 G    4 G  scale of columns 0..15 of each row's block (f32: d * the int8 sub-block scale)
 *   28 G    4 G  scale of columns 16..31
 * </pre>
 * A 16-bit lane cannot hold the sum of 16 products (|code - 32| * |xq| <= 32 * 127, times 16 is
 * 65024), but it holds 8 exactly (32512): each quarter of the block is summed on its own, and
 * the two quarters of a scale are added as floats.
 */
final class InterleavedQ6K extends Interleaved {
    private static final long HIGHS = 16L * G;
    private static final long SCALES = 24L * G;
    static final long BLOCK_BYTES = 32L * G;

    InterleavedQ6K(MemorySegment data, int rows, int cols) {
        super(data, rows, cols, BLOCK_BYTES);
    }

    @Override
    void put(long at, int r, byte[] codes, float[] scales, float[] mins) {
        for (int j = 0; j < 16; j++) putByte(at + (long) j * G + r, (byte) (codes[j] & 15 | (codes[j + 16] & 15) << 4));
        for (int j = 0; j < 8; j++) {
            int high = codes[j] >> 4 | codes[j + 8] >> 4 << 2 | codes[j + 16] >> 4 << 4 | codes[j + 24] >> 4 << 6;
            putByte(at + HIGHS + (long) j * G + r, (byte) high);
        }
        putFloat(at + SCALES + 4L * r, scales[0]);
        putFloat(at + SCALES + 4L * G + 4L * r, scales[1]);
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

    /** acc + lanes [part * L, +L) of one block's products: quarter sums q0..q3 of activation block i. */
    private FloatVector accumulate(ShortVector q0, ShortVector q1, ShortVector q2, ShortVector q3, int part, long block,
                                   Q8Activations x, int i, FloatVector acc) {
        float dx = x.d[i];
        FloatVector first = toFloat(q0, part).add(toFloat(q1, part)).mul(dx);
        FloatVector second = toFloat(q2, part).add(toFloat(q3, part)).mul(dx);
        return second.fma(floats(block + SCALES + 4L * G, part), first.fma(floats(block + SCALES, part), acc));
    }

    @Override
    void group1(int g, Q8Activations x, int r, float[] out, int outStride, int valid) {
        short[] q = x.q;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        long block = (long) g * blocks * blockBytes;
        for (int b = 0; b < blocks; b++, block += blockBytes) {
            int xb = r * cols + b * BLOCK;
            ShortVector s0 = ShortVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
            for (int j = 0; j < 8; j++) {
                ShortVector n0 = bytes(block + (long) j * G), n1 = bytes(block + (long) (j + 8) * G);
                ShortVector h = bytes(block + HIGHS + (long) j * G);
                s0 = s0.add(code(n0.and((short) 15), shl(h, 4)).mul(q[xb + j]));
                s1 = s1.add(code(n1.and((short) 15), shl(h, 2)).mul(q[xb + 8 + j]));
                s2 = s2.add(code(shr(n0, 4), h).mul(q[xb + 16 + j]));
                s3 = s3.add(code(shr(n1, 4), shr(h, 2)).mul(q[xb + 24 + j]));
            }
            int i = r * blocks + b;
            acc0 = accumulate(s0, s1, s2, s3, 0, block, x, i, acc0);
            acc1 = accumulate(s0, s1, s2, s3, 1, block, x, i, acc1);
        }
        store(acc0, acc1, out, r * outStride + g * G, valid);
    }

    @Override
    void group4(int g, Q8Activations x, int r, float[] out, int outStride, int valid) {
        short[] q = x.q;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, b0 = z, b1 = z, c0 = z, c1 = z, d0 = z, d1 = z;
        long block = (long) g * blocks * blockBytes;
        for (int b = 0; b < blocks; b++, block += blockBytes) {
            int xa = r * cols + b * BLOCK, xb = xa + cols, xc = xb + cols, xd = xc + cols;
            ShortVector zero = ShortVector.zero(S);
            ShortVector sa0 = zero, sa1 = zero, sa2 = zero, sa3 = zero, sb0 = zero, sb1 = zero, sb2 = zero, sb3 = zero;
            ShortVector sc0 = zero, sc1 = zero, sc2 = zero, sc3 = zero, sd0 = zero, sd1 = zero, sd2 = zero, sd3 = zero;
            for (int j = 0; j < 8; j++) {
                ShortVector n0 = bytes(block + (long) j * G), n1 = bytes(block + (long) (j + 8) * G);
                ShortVector h = bytes(block + HIGHS + (long) j * G);
                ShortVector k0 = code(n0.and((short) 15), shl(h, 4)), k1 = code(n1.and((short) 15), shl(h, 2));
                ShortVector k2 = code(shr(n0, 4), h), k3 = code(shr(n1, 4), shr(h, 2));
                sa0 = sa0.add(k0.mul(q[xa + j]));
                sa1 = sa1.add(k1.mul(q[xa + 8 + j]));
                sa2 = sa2.add(k2.mul(q[xa + 16 + j]));
                sa3 = sa3.add(k3.mul(q[xa + 24 + j]));
                sb0 = sb0.add(k0.mul(q[xb + j]));
                sb1 = sb1.add(k1.mul(q[xb + 8 + j]));
                sb2 = sb2.add(k2.mul(q[xb + 16 + j]));
                sb3 = sb3.add(k3.mul(q[xb + 24 + j]));
                sc0 = sc0.add(k0.mul(q[xc + j]));
                sc1 = sc1.add(k1.mul(q[xc + 8 + j]));
                sc2 = sc2.add(k2.mul(q[xc + 16 + j]));
                sc3 = sc3.add(k3.mul(q[xc + 24 + j]));
                sd0 = sd0.add(k0.mul(q[xd + j]));
                sd1 = sd1.add(k1.mul(q[xd + 8 + j]));
                sd2 = sd2.add(k2.mul(q[xd + 16 + j]));
                sd3 = sd3.add(k3.mul(q[xd + 24 + j]));
            }
            int i = r * blocks + b;
            a0 = accumulate(sa0, sa1, sa2, sa3, 0, block, x, i, a0);
            a1 = accumulate(sa0, sa1, sa2, sa3, 1, block, x, i, a1);
            i += blocks;
            b0 = accumulate(sb0, sb1, sb2, sb3, 0, block, x, i, b0);
            b1 = accumulate(sb0, sb1, sb2, sb3, 1, block, x, i, b1);
            i += blocks;
            c0 = accumulate(sc0, sc1, sc2, sc3, 0, block, x, i, c0);
            c1 = accumulate(sc0, sc1, sc2, sc3, 1, block, x, i, c1);
            i += blocks;
            d0 = accumulate(sd0, sd1, sd2, sd3, 0, block, x, i, d0);
            d1 = accumulate(sd0, sd1, sd2, sd3, 1, block, x, i, d1);
        }
        int at = r * outStride + g * G;
        store(a0, a1, out, at, valid);
        store(b0, b1, out, at + outStride, valid);
        store(c0, c1, out, at + 2 * outStride, valid);
        store(d0, d1, out, at + 3 * outStride, valid);
    }
}
