package phd4j.simd;

import java.lang.foreign.MemorySegment;

/**
 * F32 -> weight type conversion for the types phd4j can write. Each type's arithmetic lives in its
 * kernel class (next to the block layout it produces); this class picks one by type and holds the
 * scalar rounding helpers they share, chosen to match ggml bit for bit. F16, BF16, Q8_0 and Q4_0
 * are bit-exact with llama.cpp; the K-quants (search shared in {@link KQuantizer}) start from
 * llama.cpp's choices and improve on them, so they are at least as accurate but not identical.
 */
public final class Quantizers {
    private Quantizers() {
    }

    /** The types {@link #quantize} can produce, for messages. */
    public static final String SUPPORTED = "F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K";

    /** Whether {@link #quantize} can produce {@code type}. */
    public static boolean canQuantizeTo(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * Converts {@code n} floats (a multiple of the type's block size) to {@code type}, writing
     * {@code type.bytesFor(n)} bytes at {@code dstOffset}.
     */
    public static void quantize(GgmlType type, float[] src, int srcOff, int n, MemorySegment dst, long dstOffset) {
        switch (type) {
            case F32 -> MemorySegment.copy(src, srcOff, dst, Lanes.FLOAT_LE, dstOffset, n);
            case F16 -> F16Kernel.quantize(src, srcOff, n, dst, dstOffset);
            case BF16 -> BF16Kernel.quantize(src, srcOff, n, dst, dstOffset);
            case Q8_0 -> Q8_0Kernel.quantize(src, srcOff, n, dst, dstOffset);
            case Q4_0 -> Q4_0Kernel.quantize(src, srcOff, n, dst, dstOffset);
            case Q4_K -> Q4KKernel.quantize(src, srcOff, n, dst, dstOffset);
            case Q5_K -> Q5KKernel.quantize(src, srcOff, n, dst, dstOffset);
            case Q6_K -> Q6KKernel.quantize(src, srcOff, n, dst, dstOffset);
            default -> throw new IllegalArgumentException("cannot quantize to " + type + " (supported: " + SUPPORTED + ")");
        }
    }

    /**
     * F32 -> IEEE half bits as ggml converts: round to nearest even (Java's conversion does the
     * same), except that every NaN becomes the quiet NaN 0x7E00 with its sign, where Java keeps payload bits.
     */
    public static short toHalf(float f) {
        if (Float.isNaN(f)) return (short) ((Float.floatToRawIntBits(f) >>> 16 & 0x8000) | 0x7E00);
        return Float.floatToFloat16(f);
    }

    /**
     * C's roundf: halves round away from zero (Math.round rounds them up, so -2.5 would give -2).
     * The sum is taken in double, where it is exact, so 0.49999997f does not round up to 1.
     */
    static int roundHalfAway(float x) {
        return (int) Math.copySign(Math.floor(Math.abs(x) + 0.5), x);
    }

    static void checkBlocks(int n, int block, String type) {
        if (n % block != 0) throw new IllegalArgumentException(n + " values is not a multiple of the " + type + " block size " + block);
    }
}
