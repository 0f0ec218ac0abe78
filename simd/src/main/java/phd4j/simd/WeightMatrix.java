package phd4j.simd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A row-major weight matrix of {@code rows} x {@code cols} elements of one type, stored as in
 * ggml: each row is {@code cols / blockSize} consecutive blocks. In ggml's terms {@code cols} is
 * ne[0] (the input dimension) and {@code rows} is ne[1] (the output dimension).
 * {@code interleaved} is the decode path's integer-kernel copy of a Q4_0, Q4_1, Q4_K, Q5_0, Q5_1, Q5_K or Q6_K matrix ({@link #withInterleaved}),
 * or null: {@code data} stays what everything else reads.
 */
public record WeightMatrix(GgmlType type, MemorySegment data, int rows, int cols, Interleaved interleaved) {
    public WeightMatrix {
        if (cols % type.blockSize != 0) {
            throw new IllegalArgumentException("row length " + cols + " is not a multiple of the " + type + " block size");
        }
        long need = type.bytesFor((long) rows * cols);
        if (data.byteSize() < need) {
            throw new IllegalArgumentException("weight data holds " + data.byteSize() + " bytes, " + rows + "x" + cols + " " + type + " needs " + need);
        }
    }

    public WeightMatrix(GgmlType type, MemorySegment data, int rows, int cols) {
        this(type, data, rows, cols, null);
    }

    /** Bytes in one row. */
    public long rowBytes() {
        return type.bytesFor(cols);
    }

    /**
     * This matrix with an {@link Interleaved} copy for decoding, allocated in {@code arena},
     * if its type has that layout; else this matrix.
     */
    public WeightMatrix withInterleaved(Arena arena, WorkerPool pool) {
        if (interleaved != null || !Interleaved.supports(type)) return this;
        return new WeightMatrix(type, data, rows, cols, Interleaved.of(this, arena, pool));
    }

    /** Bytes of the interleaved copy (0 without one). */
    public long interleavedBytes() {
        return interleaved == null ? 0 : interleaved.byteSize();
    }

    /** Bytes {@link #withInterleaved} allocates for this matrix (0 if its type has no interleaved layout). */
    public long interleavedBytesIfRepacked() {
        return Interleaved.supports(type) ? Interleaved.bytesFor(type, rows, cols) : 0;
    }
}
