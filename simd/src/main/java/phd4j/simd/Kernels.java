package phd4j.simd;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The one registry of the weight types phd4j computes: what multiplies each type, what writes it
 * from F32, and the scalar reference its kernel is tested against. Block sizes and bytes per
 * block are {@link GgmlType}'s; each type's arithmetic lives in its kernel class, next to the
 * block layout.
 * <pre>
 *   type   block  kernel      quantizer (F32 to type)       reference dequantizer
 *   F32        1  F32Kernel   F32Kernel.quantize (a copy)   F32Kernel.dequantizeReference
 *   F16        1  F16Kernel   F16Kernel.quantize            F16Kernel.dequantizeReference
 *   BF16       1  BF16Kernel  BF16Kernel.quantize           BF16Kernel.dequantizeReference
 *   Q8_0      32  Q8_0Kernel  Q8_0Kernel.quantize           Q8_0Kernel.dequantizeReference
 *   Q4_0      32  Q4_0Kernel  Q4_0Kernel.quantize           Q4_0Kernel.dequantizeReference
 *   Q4_1      32  Q4_1Kernel  -                             Q4_1Kernel.dequantizeReference
 *   Q5_0      32  Q5_0Kernel  Q5_0Kernel.quantize           Q5_0Kernel.dequantizeReference
 *   Q5_1      32  Q5_1Kernel  Q5_1Kernel.quantize           Q5_1Kernel.dequantizeReference
 *   Q4_K     256  Q4KKernel   Q4KKernel.quantize            Q4KKernel.dequantizeReference
 *   Q5_K     256  Q5KKernel   Q5KKernel.quantize            Q5KKernel.dequantizeReference
 *   Q6_K     256  Q6KKernel   Q6KKernel.quantize            Q6KKernel.dequantizeReference
 * </pre>
 * F16, BF16, Q8_0, Q4_0, Q5_0 and Q5_1 quantize bit-exactly as llama.cpp does; the K-quants (search shared in
 * {@link KQuantizer}) start from llama.cpp's choices and improve on them, so they are at least as
 * accurate but not identical. Every other {@link GgmlType} can be read and validated, not computed.
 */
public final class Kernels {
    /** F32 to a type: {@code n} floats (whole blocks) from src[srcOff ..] into bytes at dstOffset. */
    interface Quantizer {
        void quantize(float[] src, int srcOff, int n, MemorySegment dst, long dstOffset);
    }

    /** A type to F32: {@code n} elements (whole blocks) from the bytes at byteOffset into dst[dstOffset ..]. */
    interface Dequantizer {
        void dequantize(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n);
    }

    /** One row of the table above; quantizer is null where phd4j cannot write the type. */
    private record Entry(WeightKernel kernel, Quantizer quantizer, Dequantizer reference) {
    }

    private static final Map<GgmlType, Entry> TABLE = new LinkedHashMap<>();

    private static void add(WeightKernel kernel, Quantizer quantizer, Dequantizer reference) {
        TABLE.put(kernel.type(), new Entry(kernel, quantizer, reference));
    }

    static {
        add(F32Kernel.INSTANCE, F32Kernel::quantize, F32Kernel::dequantizeReference);
        add(F16Kernel.INSTANCE, F16Kernel::quantize, F16Kernel::dequantizeReference);
        add(BF16Kernel.INSTANCE, BF16Kernel::quantize, BF16Kernel::dequantizeReference);
        add(Q8_0Kernel.INSTANCE, Q8_0Kernel::quantize, Q8_0Kernel::dequantizeReference);
        add(Q4_0Kernel.INSTANCE, Q4_0Kernel::quantize, Q4_0Kernel::dequantizeReference);
        add(Q4_1Kernel.INSTANCE, null, Q4_1Kernel::dequantizeReference);
        add(Q5_0Kernel.INSTANCE, Q5_0Kernel::quantize, Q5_0Kernel::dequantizeReference);
        add(Q5_1Kernel.INSTANCE, Q5_1Kernel::quantize, Q5_1Kernel::dequantizeReference);
        add(Q4KKernel.INSTANCE, Q4KKernel::quantize, Q4KKernel::dequantizeReference);
        add(Q5KKernel.INSTANCE, Q5KKernel::quantize, Q5KKernel::dequantizeReference);
        add(Q6KKernel.INSTANCE, Q6KKernel::quantize, Q6KKernel::dequantizeReference);
    }

    /** The types {@link #quantize} can produce, in the table's order, for messages. */
    public static final String SUPPORTED = TABLE.entrySet().stream().filter(e -> e.getValue().quantizer() != null)
            .map(e -> e.getKey().toString()).collect(Collectors.joining(", "));

    private Kernels() {
    }

    /** Whether phd4j can dequantize and multiply {@code type}. */
    public static boolean has(GgmlType type) {
        return TABLE.containsKey(type);
    }

    /** The kernel for {@code type}; throws IllegalArgumentException if phd4j has none. */
    public static WeightKernel of(GgmlType type) {
        return entry(type).kernel();
    }

    /** Whether {@link #quantize} can produce {@code type}. */
    public static boolean canQuantizeTo(GgmlType type) {
        Entry e = TABLE.get(type);
        return e != null && e.quantizer() != null;
    }

    /**
     * Converts {@code n} floats (a multiple of the type's block size) to {@code type}, writing
     * {@code type.bytesFor(n)} bytes at {@code dstOffset}.
     */
    public static void quantize(GgmlType type, float[] src, int srcOff, int n, MemorySegment dst, long dstOffset) {
        if (!canQuantizeTo(type)) throw new IllegalArgumentException("cannot quantize to " + type + " (supported: " + SUPPORTED + ")");
        checkBlocks(n, type);
        TABLE.get(type).quantizer().quantize(src, srcOff, n, dst, dstOffset);
    }

    /** The scalar reference dequantizer of {@code type}, written for clarity: the kernels are tested against it. */
    static Dequantizer reference(GgmlType type) {
        return entry(type).reference();
    }

    private static Entry entry(GgmlType type) {
        Entry e = TABLE.get(type);
        if (e == null) throw new IllegalArgumentException("no kernel for type " + type);
        return e;
    }

    /** Throws IllegalArgumentException unless {@code n} values are whole blocks of {@code type}. */
    static void checkBlocks(int n, GgmlType type) {
        if (n % type.blockSize != 0) {
            throw new IllegalArgumentException(n + " values is not a multiple of the " + type + " block size " + type.blockSize);
        }
    }
}
