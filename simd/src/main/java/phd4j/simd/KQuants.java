package phd4j.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * What the K-quant kernels ({@link Q4KKernel}, {@link Q5KKernel}, {@link Q6KKernel}) share:
 * the vector species, little-endian scalar reads, the 6-bit scale/min packing of Q4_K and Q5_K,
 * and argument checks.
 */
final class KQuants {

    /** Elements in one K-quant super-block. */
    static final int SUPER_BLOCK = 256;

    /**
     * The float species. A vector must not straddle two sub-blocks (16 elements in Q6_K), so
     * wider machines than 512 bits fall back to 16 lanes.
     */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() <= 16
            ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_512;

    /** Float lanes per vector: 4, 8 or 16, always a divisor of 16. */
    static final int L = F.length();

    /**
     * The byte species loaded to make float vectors: L bytes, except that the smallest byte vector
     * is 64 bits, so with 4 float lanes one 8-byte load is converted in two parts.
     */
    static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));

    /** Float vectors per byte vector (1, or 2 when L is 4). */
    static final int PARTS = BYTES.length() / L;

    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private KQuants() {
    }

    /** The IEEE fp16 value at {@code offset}, as a float. */
    static float half(MemorySegment w, long offset) {
        return Float.float16ToFloat(w.get(HALF, offset));
    }

    /** The unsigned byte at {@code offset}. */
    static int ubyte(MemorySegment w, long offset) {
        return w.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    /** The signed byte at {@code offset}. */
    static int sbyte(MemorySegment w, long offset) {
        return w.get(ValueLayout.JAVA_BYTE, offset);
    }

    /*
     * Q4_K and Q5_K pack 8 six-bit scales and 8 six-bit mins (one each per 32-element sub-block j)
     * into 12 bytes s[0..11]:
     *
     *   j < 4:  scale = s[j]     & 63                       min = s[j + 4] & 63
     *   j >= 4: scale = s[j + 4] & 15 | (s[j - 4] >> 6) << 4  min = s[j + 4] >> 4 | (s[j] >> 6) << 4
     *
     * i.e. bytes 0-3 hold scales 0-3 in their low 6 bits, bytes 4-7 mins 0-3; bytes 8-11 hold the
     * low 4 bits of scales 4-7 (low nibble) and mins 4-7 (high nibble), whose top 2 bits sit in
     * the spare top bits of bytes 0-3 (scales) and 4-7 (mins).
     */

    /** The 6-bit scale of sub-block {@code j} (0..7) from the 12 packed bytes at {@code scales}. */
    static int scale6(MemorySegment w, long scales, int j) {
        if (j < 4) {
            return ubyte(w, scales + j) & 63;
        }
        return (ubyte(w, scales + j + 4) & 15) | (ubyte(w, scales + j - 4) >> 6) << 4;
    }

    /** The 6-bit min of sub-block {@code j} (0..7) from the 12 packed bytes at {@code scales}. */
    static int min6(MemorySegment w, long scales, int j) {
        if (j < 4) {
            return ubyte(w, scales + j + 4) & 63;
        }
        return (ubyte(w, scales + j + 4) >> 4) | (ubyte(w, scales + j) >> 6) << 4;
    }

    /**
     * The same 6-bit scale as {@link #scale6(MemorySegment, long, int)}, from the 12 packed bytes
     * already read as {@code first8} (bytes 0-7, little-endian) and {@code last4} (bytes 8-11):
     * the vector loops read them once per super-block instead of twice per sub-block.
     */
    static int scale6(long first8, int last4, int j) {
        if (j < 4) {
            return (int) (first8 >>> 8 * j) & 63;
        }
        return (last4 >>> 8 * (j - 4)) & 15 | ((int) (first8 >>> 8 * (j - 4) + 6) & 3) << 4;
    }

    /** The same 6-bit min as {@link #min6(MemorySegment, long, int)}, from the bytes as in {@link #scale6(long, int, int)}. */
    static int min6(long first8, int last4, int j) {
        if (j < 4) {
            return (int) (first8 >>> 8 * (j + 4)) & 63;
        }
        return (last4 >>> 8 * (j - 4) + 4) & 15 | ((int) (first8 >>> 8 * j + 6) & 3) << 4;
    }

    /** The little-endian long at {@code offset}. */
    static long longAt(MemorySegment w, long offset) {
        return w.get(LONG, offset);
    }

    /** The little-endian int at {@code offset}. */
    static int intAt(MemorySegment w, long offset) {
        return w.get(INT, offset);
    }

    /** {@link #BYTES} bytes at {@code offset}. */
    static ByteVector loadBytes(MemorySegment w, long offset) {
        return ByteVector.fromMemorySegment(BYTES, w, offset, ByteOrder.LITTLE_ENDIAN);
    }

    /** Ints with the float lanes' count: quants are put together in int lanes, where x86 has shifts (it has none for bytes). */
    static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, F.vectorShape());

    /** Part {@code part} (0 ..< PARTS) of the {@link #BYTES} bytes at {@code offset}, zero-extended to int lanes. */
    static IntVector loadInts(MemorySegment w, long offset, int part) {
        // part is a constant 0 for the JIT unless 4-lane floats need two parts: the conversion
        // compiles to one instruction only when its part is known while the method is parsed.
        return (IntVector) loadBytes(w, offset).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, PARTS == 1 ? 0 : part);
    }

    /** sums[r] = the lanes' sum of acc r, for the first {@code count} of the four. */
    static void sums(FloatVector acc0, FloatVector acc1, FloatVector acc2, FloatVector acc3, int count, float[] sums) {
        sums[0] = acc0.reduceLanes(VectorOperators.ADD);
        if (count > 1) sums[1] = acc1.reduceLanes(VectorOperators.ADD);
        if (count > 2) sums[2] = acc2.reduceLanes(VectorOperators.ADD);
        if (count > 3) sums[3] = acc3.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Checks the arguments of {@code dequantize} up front: vector accesses may run without
     * bounds checks (VECTOR_ACCESS_OOB_CHECK=0), so a bad index must fail here, not corrupt memory.
     */
    static void checkDequantize(GgmlType type, MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        if (n < 0 || n % SUPER_BLOCK != 0) {
            throw new IllegalArgumentException(n + " elements is not a multiple of the " + type + " super-block " + SUPER_BLOCK);
        }
        Objects.checkFromIndexSize(byteOffset, type.bytesFor(n), w.byteSize());
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
    }
}
