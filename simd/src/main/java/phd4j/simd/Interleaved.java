package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.L;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A quantized weight matrix copied once, at load, into the layout of the decode path's integer
 * kernels: weight rows in groups of G (the 16-bit lanes of a vector, 32 with AVX-512), so that
 * one vector holds the same column of G rows and a product needs no horizontal sums; the
 * activations quantized to 8 bits per 32 columns ({@link Q8Activations}), so that G weights
 * times one activation are one 16-bit multiply. The float kernels spend most of their
 * instructions turning codes into floats; here a code is masked or shifted and multiplied as it
 * is (llama.cpp's CPU_REPACK does the same for Q4_0, with int8 dot products).
 *
 * <p>The copy is made per 32-column block b of each row: its codes (0..15 or 0..63) and, per
 * 16 columns, a scale and a min, weight(32 b + i) = scale[i / 16] * code[i] - min[i / 16]
 * ({@link #blockCodes}). Every supported type's block is exactly that in f32, so the copy loses
 * nothing; the mapped file stays the source of everything else (prefill's GEMM, the embedding).
 * How a group's block is laid out and multiplied is the subclass's: {@link InterleavedQ4} for
 * 4-bit codes, {@link InterleavedQ4K} and {@link InterleavedQ6K} for the K-quants' super-block
 * scales, {@link InterleavedInt8} for 5-bit codes.
 *
 * <p>Which loop a call runs: {@link #multiply} takes each group in turn and, for it, each
 * activation row ({@code group1}): one loop per layout, whatever the row count. A four-row tile
 * that decodes each code vector once for four rows lost here: over C2's node budget part of it
 * ran boxed (2.5 GFLOP/s for Q4_0; four one-row passes over the group, whose 40 KB stay in L2,
 * give 95). Rows of a group past the matrix's last row are zero and never stored.
 */
public abstract sealed class Interleaved permits InterleavedQ4, InterleavedQ4K, InterleavedQ6K, InterleavedInt8 {
    /** Shorts with as many bits as a float vector: G = 2L lanes, one weight row each. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, F.vectorShape());
    /** Weight rows per group. */
    static final int G = S.length();
    /** The G bytes of one code position, zero-extended to G shorts. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(G * 8));
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final int BLOCK = 32;

    final MemorySegment data;
    final int rows;
    final int cols;
    final int blocks;
    /** Bytes of one group's block. */
    final long blockBytes;
    /** Bytes of one group: its blocks and {@code extraBytes} more (the super-block scales of Q4_K and Q6_K). */
    final long groupBytes;

    Interleaved(MemorySegment data, int rows, int cols, long blockBytes, long extraBytes) {
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.blocks = cols / BLOCK;
        this.blockBytes = blockBytes;
        this.groupBytes = blocks * blockBytes + extraBytes;
    }

    /** Whether {@link #of} takes matrices of this type. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case Q4_0, Q4_1, Q4_K, Q5_0, Q5_1, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Bytes {@link #of} allocates for a rows x cols matrix of {@code type}: rows rounded up to whole groups. */
    public static long bytesFor(GgmlType type, int rows, int cols) {
        long perGroup = switch (type) {
            case Q4_0, Q4_1 -> cols / BLOCK * InterleavedQ4.blockBytes(type == GgmlType.Q4_1);
            case Q4_K -> InterleavedQ4K.groupBytes(cols);
            case Q6_K -> InterleavedQ6K.groupBytes(cols);
            default -> cols / BLOCK * InterleavedInt8.blockBytes(type);
        };
        return (long) ((rows + G - 1) / G) * perGroup;
    }

    /**
     * Copies {@code w} (a type {@link #supports} takes) into its interleaved layout, in memory of
     * {@code arena} (shared: the pool's threads write it), its row groups split over {@code pool}.
     */
    public static Interleaved of(WeightMatrix w, Arena arena, WorkerPool pool) {
        if (!supports(w.type())) throw new IllegalArgumentException("no interleaved layout for " + w.type());
        MemorySegment data = arena.allocate(bytesFor(w.type(), w.rows(), w.cols()), 64);
        Interleaved m = switch (w.type()) {
            case Q4_0, Q4_1 -> new InterleavedQ4(data, w.rows(), w.cols(), w.type() == GgmlType.Q4_1);
            case Q4_K -> new InterleavedQ4K(data, w.rows(), w.cols());
            case Q6_K -> new InterleavedQ6K(data, w.rows(), w.cols());
            default -> new InterleavedInt8(data, w.rows(), w.cols(), w.type());
        };
        // each group is assembled on the heap and copied out whole (element-wise native writes
        // cost a bounds check per byte)
        long groupBytes = m.groupBytes;
        pool.parallelFor(m.groups(), (g0, g1) -> {
            MemorySegment group = MemorySegment.ofArray(new byte[Math.toIntExact(groupBytes)]);
            for (int g = g0; g < g1; g++) {
                group.fill((byte) 0);
                for (int r = 0; r < G && g * G + r < w.rows(); r++) {
                    m.putRow(group, r, rowBytes(w, g * G + r), w.type());
                }
                MemorySegment.copy(group, 0, data, g * groupBytes, groupBytes);
            }
        });
        return m;
    }

    /**
     * Codes of block b of a row ({@code row}: its bytes as in the file) and the scale and min of
     * each of its halves: weight(32 b + i) = scales[i / 16] * codes[i] - mins[i / 16]. On a heap
     * array because the repack runs it on every block of the model (native access, a bounds
     * check per byte, made loading 3x slower).
     */
    static void blockCodes(GgmlType type, byte[] row, int b, byte[] codes, float[] scales, float[] mins) {
        int at;
        switch (type) {
            case Q4_0 -> { // [fp16 d][16 bytes: codes j | j + 16], weight = d * (code - 8)
                at = 18 * b;
                nibbles(row, at + 2, codes);
                halves(scales, mins, half(row, at), 8 * half(row, at));
            }
            case Q4_1 -> { // [fp16 d][fp16 m][16 bytes as Q4_0], weight = d * code + m
                at = 20 * b;
                nibbles(row, at + 4, codes);
                halves(scales, mins, half(row, at), -half(row, at + 2));
            }
            case Q4_K -> { // super-blocks of 8 sub-blocks, see Q4KKernel
                at = Q4KKernel.BLOCK_BYTES * (b / 8);
                int s = b % 8, from = at + 16 + 32 * (s / 2), shift = 4 * (s & 1);
                for (int i = 0; i < BLOCK; i++) codes[i] = (byte) ((row[from + i] & 0xFF) >> shift & 15);
                MemorySegment packed = MemorySegment.ofArray(row);
                halves(scales, mins, half(row, at) * KQuants.scale6(packed, at + 4, s), half(row, at + 2) * KQuants.min6(packed, at + 4, s));
            }
            case Q5_0 -> { // [fp16 d][u32 qh: bit 4 of code e][16 bytes as Q4_0], weight = d * (code - 16)
                at = 22 * b;
                fiveBits(row, at + 6, at + 2, codes);
                halves(scales, mins, half(row, at), 16 * half(row, at));
            }
            case Q5_1 -> { // [fp16 d][fp16 m][qh][16 bytes], weight = d * code + m
                at = 24 * b;
                fiveBits(row, at + 8, at + 4, codes);
                halves(scales, mins, half(row, at), -half(row, at + 2));
            }
            case Q5_K -> { // super-blocks of 8 sub-blocks, see Q5KKernel
                at = Q5KKernel.BLOCK_BYTES * (b / 8);
                int s = b % 8, from = at + 48 + 32 * (s / 2), shift = 4 * (s & 1);
                for (int i = 0; i < BLOCK; i++) {
                    codes[i] = (byte) ((row[from + i] & 0xFF) >> shift & 15 | ((row[at + 16 + i] & 0xFF) >> s & 1) << 4);
                }
                MemorySegment packed = MemorySegment.ofArray(row);
                halves(scales, mins, half(row, at) * KQuants.scale6(packed, at + 4, s), half(row, at + 2) * KQuants.min6(packed, at + 4, s));
            }
            case Q6_K -> { // super-blocks of 8 blocks, 16 sub-blocks: see Q6KKernel for where element i's bits are
                at = Q6KKernel.BLOCK_BYTES * (b / 8);
                float d = half(row, at + 208);
                for (int c = 0; c < BLOCK; c++) {
                    int i = 32 * (b % 8) + c, h = i / 128, k = i % 128 / 32, l = i % 32;
                    int lowByte = row[at + 64 * h + 32 * (k % 2) + l] & 0xFF;
                    int high = (row[at + 128 + 32 * h + l] & 0xFF) >> 2 * k & 3;
                    codes[c] = (byte) ((k < 2 ? lowByte & 15 : lowByte >> 4) | high << 4);
                }
                for (int half = 0; half < 2; half++) {
                    scales[half] = d * row[at + 192 + 2 * (b % 8) + half];
                    mins[half] = 32 * scales[half];
                }
            }
            default -> throw new IllegalArgumentException("no interleaved layout for " + type);
        }
    }

    static float half(byte[] row, int at) {
        return Float.float16ToFloat((short) (row[at] & 0xFF | row[at + 1] << 8));
    }

    private static void nibbles(byte[] row, int at, byte[] codes) {
        for (int j = 0; j < 16; j++) {
            int q = row[at + j] & 0xFF;
            codes[j] = (byte) (q & 15);
            codes[j + 16] = (byte) (q >> 4);
        }
    }

    /** The 5-bit codes of a Q5_0 or Q5_1 block: nibbles at {@code at}, bit 4 of code e in bit e of the u32 at {@code qh}. */
    private static void fiveBits(byte[] row, int at, int qh, byte[] codes) {
        nibbles(row, at, codes);
        int high = row[qh] & 0xFF | (row[qh + 1] & 0xFF) << 8 | (row[qh + 2] & 0xFF) << 16 | (row[qh + 3] & 0xFF) << 24;
        for (int e = 0; e < BLOCK; e++) codes[e] |= (byte) ((high >>> e & 1) << 4);
    }

    /** Row {@code row} of w, its bytes as in the file. */
    static byte[] rowBytes(WeightMatrix w, int row) {
        return w.data().asSlice(row * w.rowBytes(), w.rowBytes()).toArray(ValueLayout.JAVA_BYTE);
    }

    private static void halves(float[] scales, float[] mins, float scale, float min) {
        scales[0] = scales[1] = scale;
        mins[0] = mins[1] = min;
    }

    /** Writes row r of a group ({@code row}: its bytes as in the file) into the group's bytes {@code group}. */
    abstract void putRow(MemorySegment group, int r, byte[] row, GgmlType type);

    /** Writes row r's block, its codes, scales and mins as {@link #blockCodes} gives them, at byte {@code at} of a group. */
    interface BlockWriter {
        void put(MemorySegment group, long at, int r, byte[] codes, float[] scales, float[] mins);
    }

    /** {@link #putRow} for the layouts that store each block in {@link #blockCodes}' form: {@code writer} writes one. */
    final void putBlocks(MemorySegment group, int r, byte[] row, GgmlType type, BlockWriter writer) {
        byte[] codes = new byte[BLOCK];
        float[] scales = new float[2], mins = new float[2];
        for (int b = 0; b < blocks; b++) {
            blockCodes(type, row, b, codes, scales, mins);
            writer.put(group, b * blockBytes, r, codes, scales, mins);
        }
    }

    /** Weight row groups: the units {@link #multiply} is split in. */
    final int groups() {
        return (rows + G - 1) / G;
    }

    /** Bytes of the copy. */
    public final long byteSize() {
        return data.byteSize();
    }

    /**
     * out[r * outStride + o] = dot(weight row o, activation row r) for the rows o of groups
     * [g0, g1) and activation rows r in [0, nRows) of {@code x}: each group in turn, and for it
     * each activation row. Each layout has its own copy of this loop, though the copies read
     * the same: a final one here is compiled once for both layouts, C2 inlines both tile loops
     * into it, runs out of its node budget and leaves vector operations boxed (measured again
     * after the four-row tile went: 1.1b Q4_K_M decode at 6 t/s against 31-35).
     */
    abstract void multiply(Q8Activations x, int nRows, float[] out, int outStride, int g0, int g1);

    static void putByte(MemorySegment to, long at, byte value) {
        to.set(ValueLayout.JAVA_BYTE, at, value);
    }

    static void putFloat(MemorySegment to, long at, float value) {
        to.set(Lanes.FLOAT_LE, at, value);
    }

    /** The G bytes at byte {@code at}, zero-extended to shorts. */
    final ShortVector bytes(long at) {
        return (ShortVector) ByteVector.fromMemorySegment(B, data, at, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
    }

    /** The L floats of lanes [part * L, part * L + L) of the G floats at byte {@code at}. */
    final FloatVector floats(long at, int part) {
        return FloatVector.fromMemorySegment(F, data, at + 4L * L * part, LE);
    }

    /**
     * The short lane of weight row r of a group: the first L rows in the even lanes, the others in
     * the odd ones. A vector of G 16-bit sums then widens to the L floats of either half without a
     * shape-changing conversion: read as ints (short lanes 2m and 2m + 1 are int m), the low halves
     * are rows 0..L-1 ({@link #lowInts}) and the high halves rows L..G-1 ({@link #highInts}).
     * The S2F conversion with a part index is slower and, in the four-row tiles, C2 failed to
     * intrinsify it (measured: 50x slower).
     */
    static int lane(int r) {
        return r < L ? 2 * r : 2 * (r - L) + 1;
    }

    /** Lanes 0..L-1 of the shorts' rows, sign-extended: the low 16 bits of each int. */
    static IntVector lowInts(IntVector v) {
        return v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16);
    }

    /** Rows L..G-1: the high 16 bits of each int. */
    static IntVector highInts(IntVector v) {
        return v.lanewise(VectorOperators.ASHR, 16);
    }

    /** v as floats, times dx. */
    static FloatVector scaled(IntVector v, float dx) {
        return ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(dx);
    }

    /** The float lanes of rows [part * L, part * L + L) of G 16-bit sums laid out by {@link #lane}. */
    static FloatVector toFloat(ShortVector v, int part) {
        IntVector ints = v.reinterpretAsInts();
        return (FloatVector) (part == 0 ? lowInts(ints) : highInts(ints)).convert(VectorOperators.I2F, 0);
    }

    static void store(FloatVector lo, FloatVector hi, float[] out, int at, int valid) {
        if (valid == G) {
            lo.intoArray(out, at);
            hi.intoArray(out, at + L);
        } else {
            lo.intoArray(out, at, F.indexInRange(0, valid));
            hi.intoArray(out, at + L, F.indexInRange(L, valid));
        }
    }

    /**
     * Scalar reference of {@link #multiply} for one weight row and one activation row, written
     * for clarity from the original matrix: the same quantized activations, the products in
     * double. The kernels must match it to float rounding.
     */
    static double dotReference(WeightMatrix w, int row, float[] x, int xOffset) {
        byte[] codes = new byte[BLOCK];
        float[] scales = new float[2], mins = new float[2];
        byte[] bytes = rowBytes(w, row);
        double sum = 0;
        for (int b = 0; b < w.cols() / BLOCK; b++) {
            float amax = 0;
            for (int i = 0; i < BLOCK; i++) amax = Math.max(amax, Math.abs(x[xOffset + b * BLOCK + i]));
            float dx = amax / 127;
            float inverse = dx != 0 ? 1 / dx : 0;
            blockCodes(w.type(), bytes, b, codes, scales, mins);
            for (int i = 0; i < BLOCK; i++) {
                int xq = Q8Activations.round(x[xOffset + b * BLOCK + i] * inverse);
                sum += ((double) scales[i / 16] * codes[i] - mins[i / 16]) * ((double) dx * xq);
            }
        }
        return sum;
    }
}
