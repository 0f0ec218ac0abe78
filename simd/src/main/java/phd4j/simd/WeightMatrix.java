package phd4j.simd;

import java.lang.foreign.MemorySegment;

/**
 * A row-major weight matrix of {@code rows} x {@code cols} elements of one type, stored as in
 * ggml: each row is {@code cols / blockSize} consecutive blocks. In ggml's terms {@code cols} is
 * ne[0] (the input dimension) and {@code rows} is ne[1] (the output dimension).
 */
public record WeightMatrix(GgmlType type, MemorySegment data, int rows, int cols) {
    public WeightMatrix {
        if (cols % type.blockSize != 0) {
            throw new IllegalArgumentException("row length " + cols + " is not a multiple of the " + type + " block size");
        }
        long need = type.bytesFor((long) rows * cols);
        if (data.byteSize() < need) {
            throw new IllegalArgumentException("weight data holds " + data.byteSize() + " bytes, " + rows + "x" + cols + " " + type + " needs " + need);
        }
    }

    /** Bytes in one row. */
    public long rowBytes() {
        return type.bytesFor(cols);
    }
}
