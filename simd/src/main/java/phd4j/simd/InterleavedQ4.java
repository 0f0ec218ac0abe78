package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.L;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 4-bit weight matrix (Q4_0, Q4_1 or Q4_K) copied once, at load, into the layout of the
 * decode path's integer kernel: weight rows in groups of G (the 16-bit lanes of a vector, 32
 * with AVX-512), so that one vector holds the same column of G rows and a product needs no
 * horizontal sums; activations quantized to 8 bits per 32 columns ({@link Q8Activations}), so
 * that 32 weights times one activation are one 16-bit multiply. The float kernels spend most
 * of their instructions turning nibbles into floats; here a nibble is masked or shifted and
 * multiplied as it is (llama.cpp's CPU_REPACK does the same for Q4_0, with int8 dot products).
 *
 * <p>Per group, per 32-column block b, {@link #blockBytes} bytes:
 * <pre>
 * offset   size  field
 *      0   16 G  nibbles: byte j * G + r holds code j of row r (low nibble) and code j + 16 (high), j = 0..15
 *   16 G    4 G  scale s of each row's block (f32)
 *   20 G    4 G  min m of each row's block (f32); absent for Q4_0, where m = 8 s
 * </pre>
 * weight(row r, column 32 b + i) = s * code - m, codes 0..15. Q4_K's sub-block scales and mins
 * (fp16 d x 6-bit scale) are exact in f32, so the copy loses nothing; the mapped file stays the
 * source of everything else (prefill's GEMM, the embedding rows).
 *
 * <p>The product of a block with activations x = dx * xq: with S = sum (code - 8) * xq, a
 * 16-bit lane holds S exactly (|S| <= 32 * 8 * 127 = 32512; the lanes add sum code * xq and
 * subtract 8 sum xq modulo 2^16, and the true result fits), and
 * sum weight * x = dx * (s * S + (8 s - m) * sum xq). Rows of a group past the matrix's last
 * row are zero and never stored.
 *
 * <p>Which loop a call runs: {@link #multiply} takes each group in turn and the activation rows
 * four at a time ({@link #group4}: one decode of each code vector for four rows), the rest one
 * at a time ({@link #group1}).
 */
public final class InterleavedQ4 {
    /** Shorts with as many bits as a float vector: G = 2L lanes, one weight row each. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, F.vectorShape());
    /** Weight rows per group. */
    static final int G = S.length();
    /** The G bytes of one code position, zero-extended to G shorts. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(G * 8));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int BLOCK = 32;
    private static final long NIBBLES = 16L * G;

    private final MemorySegment data;
    private final int rows;
    private final int cols;
    private final int blocks;
    private final boolean mins;
    private final long blockBytes;

    private InterleavedQ4(MemorySegment data, int rows, int cols, boolean mins) {
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.blocks = cols / BLOCK;
        this.mins = mins;
        this.blockBytes = blockBytes(mins);
    }

    private static long blockBytes(boolean mins) {
        return NIBBLES + 4L * G * (mins ? 2 : 1);
    }

    /** Whether {@link #of} takes matrices of this type. */
    public static boolean supports(GgmlType type) {
        return type == GgmlType.Q4_0 || type == GgmlType.Q4_1 || type == GgmlType.Q4_K;
    }

    /** Weight row groups: the units {@link #multiply} is split in. */
    int groups() {
        return (rows + G - 1) / G;
    }

    /** Bytes {@link #of} allocates for a rows x cols matrix of {@code type}: rows rounded up to whole groups. */
    public static long bytesFor(GgmlType type, int rows, int cols) {
        return (long) ((rows + G - 1) / G) * (cols / BLOCK) * blockBytes(type != GgmlType.Q4_0);
    }

    /** Bytes of the copy. */
    public long byteSize() {
        return data.byteSize();
    }

    /**
     * Copies {@code w} (a type {@link #supports} takes) into the interleaved layout, in memory of
     * {@code arena} (shared: the pool's threads write it), its row groups split over {@code pool}.
     */
    public static InterleavedQ4 of(WeightMatrix w, Arena arena, WorkerPool pool) {
        if (!supports(w.type())) throw new IllegalArgumentException("no interleaved layout for " + w.type());
        boolean mins = w.type() != GgmlType.Q4_0;
        int blocks = w.cols() / BLOCK;
        MemorySegment data = arena.allocate(bytesFor(w.type(), w.rows(), w.cols()), 64);
        InterleavedQ4 m = new InterleavedQ4(data, w.rows(), w.cols(), mins);
        pool.parallelFor(m.groups(), (g0, g1) -> {
            byte[] codes = new byte[BLOCK];
            float[] scaleMin = new float[2];
            for (int g = g0; g < g1; g++) {
                for (int r = 0; r < G && g * G + r < w.rows(); r++) {
                    long row = (long) (g * G + r) * w.rowBytes();
                    for (int b = 0; b < blocks; b++) {
                        blockCodes(w.type(), w.data(), row, b, codes, scaleMin);
                        m.put(g, r, b, codes, scaleMin[0], scaleMin[1]);
                    }
                }
            }
        });
        return m;
    }

    /** Codes 0..15 of block b of the row at byte {@code row}, its scale and min: weight = scale * code - min. */
    static void blockCodes(GgmlType type, MemorySegment w, long row, int b, byte[] codes, float[] scaleMin) {
        long at;
        switch (type) {
            case Q4_0 -> { // [fp16 d][16 bytes: codes j | j + 16], weight = d * (code - 8)
                at = row + 18L * b;
                float d = Lanes.half(w, at);
                nibbles(w, at + 2, codes);
                scaleMin[0] = d;
                scaleMin[1] = 8 * d;
            }
            case Q4_1 -> { // [fp16 d][fp16 m][16 bytes as Q4_0], weight = d * code + m
                at = row + 20L * b;
                nibbles(w, at + 4, codes);
                scaleMin[0] = Lanes.half(w, at);
                scaleMin[1] = -Lanes.half(w, at + 2);
            }
            case Q4_K -> { // super-blocks of 8 sub-blocks, see Q4KKernel
                at = row + (long) Q4KKernel.BLOCK_BYTES * (b / 8);
                int s = b % 8;
                for (int i = 0; i < BLOCK; i++) {
                    codes[i] = (byte) (KQuants.ubyte(w, at + 16 + 32 * (s / 2) + i) >> 4 * (s & 1) & 15);
                }
                scaleMin[0] = KQuants.half(w, at) * KQuants.scale6(w, at + 4, s);
                scaleMin[1] = KQuants.half(w, at + 2) * KQuants.min6(w, at + 4, s);
            }
            default -> throw new IllegalArgumentException("no interleaved layout for " + type);
        }
    }

    private static void nibbles(MemorySegment w, long at, byte[] codes) {
        for (int j = 0; j < 16; j++) {
            int q = KQuants.ubyte(w, at + j);
            codes[j] = (byte) (q & 15);
            codes[j + 16] = (byte) (q >> 4);
        }
    }

    private void put(int g, int r, int b, byte[] codes, float scale, float min) {
        long at = ((long) g * blocks + b) * blockBytes;
        for (int j = 0; j < 16; j++) {
            data.set(ValueLayout.JAVA_BYTE, at + (long) j * G + r, (byte) (codes[j] | codes[j + 16] << 4));
        }
        data.set(Lanes.FLOAT_LE, at + NIBBLES + 4L * r, scale);
        if (mins) data.set(Lanes.FLOAT_LE, at + NIBBLES + 4L * G + 4L * r, min);
    }

    /**
     * out[r * outStride + o] = dot(weight row o, activation row r) for the rows o of groups
     * [g0, g1) and activation rows r in [0, nRows) of {@code x}.
     */
    void multiply(Q8Activations x, int nRows, float[] out, int outStride, int g0, int g1) {
        for (int g = g0; g < g1; g++) {
            int valid = Math.min(G, rows - g * G);
            int r = 0;
            for (; r + 4 <= nRows; r += 4) group4(g, x, r, out, outStride, valid);
            for (; r < nRows; r++) group1(g, x, r, out, outStride, valid);
        }
    }

    /** The G codes at position j of a block (at byte {@code block}), as shorts 0..255: two nibbles each. */
    private ShortVector codes(long block, int j) {
        return (ShortVector) ByteVector.fromMemorySegment(B, data, block + (long) j * G, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
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
        FloatVector s = (FloatVector) sum.convertShape(VectorOperators.S2F, F, part);
        FloatVector scale = FloatVector.fromMemorySegment(F, data, block + NIBBLES + 4L * L * part, LE);
        if (!mins) return s.mul(x.d[i]).fma(scale, acc);
        // s * (dx S + 8 dx sum xq) - m * dx sum xq
        FloatVector min = FloatVector.fromMemorySegment(F, data, block + NIBBLES + 4L * G + 4L * L * part, LE);
        return FloatVector.broadcast(F, -x.dSum[i]).fma(min, s.fma(x.d[i], 8 * x.dSum[i]).fma(scale, acc));
    }

    private static void store(FloatVector lo, FloatVector hi, float[] out, int at, int valid) {
        if (valid == G) {
            lo.intoArray(out, at);
            hi.intoArray(out, at + L);
        } else {
            lo.intoArray(out, at, F.indexInRange(0, valid));
            hi.intoArray(out, at + L, F.indexInRange(L, valid));
        }
    }

    /** Group g with activation row r. */
    private void group1(int g, Q8Activations x, int r, float[] out, int outStride, int valid) {
        short[] q = x.q;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        long block = (long) g * blocks * blockBytes;
        for (int b = 0; b < blocks; b++, block += blockBytes) {
            int xb = r * cols + b * BLOCK, i = r * blocks + b;
            ShortVector sum = ShortVector.zero(S);
            for (int j = 0; j < 16; j++) {
                ShortVector c = codes(block, j);
                sum = sum.add(low(c).mul(q[xb + j])).add(high(c).mul(q[xb + 16 + j]));
            }
            sum = sum.sub(x.eightSum[i]);
            acc0 = accumulate(sum, 0, block, x, i, acc0);
            acc1 = accumulate(sum, 1, block, x, i, acc1);
        }
        store(acc0, acc1, out, r * outStride + g * G, valid);
    }

    /** Group g with activation rows r .. r + 3: each code vector decoded once for the four. */
    private void group4(int g, Q8Activations x, int r, float[] out, int outStride, int valid) {
        short[] q = x.q;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, b0 = z, b1 = z, c0 = z, c1 = z, d0 = z, d1 = z;
        long block = (long) g * blocks * blockBytes;
        for (int b = 0; b < blocks; b++, block += blockBytes) {
            int xa = r * cols + b * BLOCK, xb = xa + cols, xc = xb + cols, xd = xc + cols;
            ShortVector sa = ShortVector.zero(S), sb = sa, sc = sa, sd = sa;
            for (int j = 0; j < 16; j++) {
                ShortVector c = codes(block, j);
                ShortVector lo = low(c), hi = high(c);
                sa = sa.add(lo.mul(q[xa + j])).add(hi.mul(q[xa + 16 + j]));
                sb = sb.add(lo.mul(q[xb + j])).add(hi.mul(q[xb + 16 + j]));
                sc = sc.add(lo.mul(q[xc + j])).add(hi.mul(q[xc + 16 + j]));
                sd = sd.add(lo.mul(q[xd + j])).add(hi.mul(q[xd + 16 + j]));
            }
            int i = r * blocks + b;
            sa = sa.sub(x.eightSum[i]);
            a0 = accumulate(sa, 0, block, x, i, a0);
            a1 = accumulate(sa, 1, block, x, i, a1);
            i += blocks;
            sb = sb.sub(x.eightSum[i]);
            b0 = accumulate(sb, 0, block, x, i, b0);
            b1 = accumulate(sb, 1, block, x, i, b1);
            i += blocks;
            sc = sc.sub(x.eightSum[i]);
            c0 = accumulate(sc, 0, block, x, i, c0);
            c1 = accumulate(sc, 1, block, x, i, c1);
            i += blocks;
            sd = sd.sub(x.eightSum[i]);
            d0 = accumulate(sd, 0, block, x, i, d0);
            d1 = accumulate(sd, 1, block, x, i, d1);
        }
        int at = r * outStride + g * G;
        store(a0, a1, out, at, valid);
        store(b0, b1, out, at + outStride, valid);
        store(c0, c1, out, at + 2 * outStride, valid);
        store(d0, d1, out, at + 3 * outStride, valid);
    }

    /**
     * Scalar reference of {@link #multiply} for one weight row and one activation row, written
     * for clarity from the original matrix: the same quantized activations, the products in
     * double. The kernel must match it to float rounding.
     */
    static double dotReference(WeightMatrix w, int row, float[] x, int xOffset) {
        byte[] codes = new byte[BLOCK];
        float[] scaleMin = new float[2];
        double sum = 0;
        for (int b = 0; b < w.cols() / BLOCK; b++) {
            float amax = 0;
            for (int i = 0; i < BLOCK; i++) amax = Math.max(amax, Math.abs(x[xOffset + b * BLOCK + i]));
            float dx = amax / 127;
            float inverse = dx != 0 ? 1 / dx : 0;
            blockCodes(w.type(), w.data(), (long) row * w.rowBytes(), b, codes, scaleMin);
            for (int i = 0; i < BLOCK; i++) {
                int xq = Q8Activations.round(x[xOffset + b * BLOCK + i] * inverse);
                sum += ((double) scaleMin[0] * codes[i] - scaleMin[1]) * ((double) dx * xq);
            }
        }
        return sum;
    }
}
