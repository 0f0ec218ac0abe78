package phd4j.gguf;

import java.util.Arrays;
import java.util.Objects;
import phd4j.simd.GgmlType;

/**
 * One tensor's entry in a GGUF header. {@code dims} are in GGUF order: {@code dims[0]} is the
 * contiguous (innermost) dimension, so a weight matrix of {@code rows x cols} has
 * {@code dims = {cols, rows}}. {@code offset} is relative to {@link GgufFile#dataOffset()}.
 * {@code dims} is shared, not copied: treat it as read-only.
 */
public record GgufTensorInfo(String name, GgmlType type, long[] dims, long offset, long byteSize) {
    public GgufTensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(dims, "dims");
    }

    /** The product of the dims (the parser has checked that it does not overflow). */
    public long elementCount() {
        long n = 1;
        for (long d : dims) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Number of dims (1..4). */
    public int rank() {
        return dims.length;
    }

    // Records compare array components by identity; compare the contents instead.
    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && t.name.equals(name) && t.type == type
                && Arrays.equals(t.dims, dims) && t.offset == offset && t.byteSize == byteSize;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(dims), offset, byteSize);
    }

    @Override
    public String toString() {
        return "GgufTensorInfo[" + name + ", " + type + ", " + Arrays.toString(dims)
                + ", offset=" + offset + ", bytes=" + byteSize + "]";
    }
}
