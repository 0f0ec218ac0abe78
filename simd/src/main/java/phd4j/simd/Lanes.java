package phd4j.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every kernel uses, and the loads and conversions they share.
 * One code path for every vector width: a kernel works in chunks of {@link #L} floats, and a
 * 32-element block is 32 / L chunks.
 */
final class Lanes {
    private Lanes() {
    }

    /** Float species: the preferred width, capped at 512 bits so that a 32-element block holds whole vectors. */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() > 512
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    /** Floats per vector. */
    static final int L = F.length();
    /** Ints with the same lane count as {@link #F}. */
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Shorts with the same lane count as {@link #F} (half the bits). */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    /**
     * Bytes holding at least L lanes. The smallest vector shape is 64 bits, so with 4-lane floats
     * (128-bit hardware) only the first L lanes of an 8-lane byte vector are loaded.
     */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    private static final VectorMask<Byte> FIRST_L = B.indexInRange(0, L);

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The fp16 value stored little-endian at {@code offset}. */
    static float half(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(SHORT_LE, offset));
    }

    /** L bytes at {@code offset} in lanes 0..L-1 (any further lanes are zero). */
    static ByteVector bytes(MemorySegment s, long offset) {
        return B.length() == L
                ? ByteVector.fromMemorySegment(B, s, offset, ByteOrder.LITTLE_ENDIAN)
                : ByteVector.fromMemorySegment(B, s, offset, ByteOrder.LITTLE_ENDIAN, FIRST_L);
    }

    /** Lanes 0..L-1 of {@code v} as signed values converted to float. */
    static FloatVector toFloats(ByteVector v) {
        return (FloatVector) v.convertShape(VectorOperators.B2F, F, 0);
    }

    /** Lanes 0..L-1 of {@code v} sign-extended to int. */
    static IntVector toInts(ByteVector v) {
        return (IntVector) v.convertShape(VectorOperators.B2I, I, 0);
    }

    /** L consecutive fp16 values at {@code offset} as floats; bit-exact with {@link Float#float16ToFloat}. */
    static FloatVector halves(MemorySegment s, long offset) {
        // No fp16 vector conversion exists in the JDK 25 incubator API, so rebuild the f32 bits:
        // (|h| << 13) read as an f32 is the value scaled by 2^-112 for normals and subnormals alike,
        // so one exact multiply fixes the exponent; Inf/NaN (exponent all ones) get the f32 all-ones exponent.
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, s, offset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, I, 0);
        IntVector magnitude = h.and(0x7fff);
        IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = shifted.reinterpretAsFloats().mul(0x1.0p112f).reinterpretAsInts();
        IntVector bits = finite.blend(shifted.or(0x7f80_0000), magnitude.compare(VectorOperators.GE, 0x7c00));
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        return bits.or(sign).reinterpretAsFloats();
    }

    /** L consecutive bf16 values at {@code offset} as floats (a bf16 is the upper half of an f32). */
    static FloatVector bfloats(MemorySegment s, long offset) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, s, offset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
