package phd4j.simd;

import java.lang.foreign.MemorySegment;

/**
 * The kernels of one weight type. Implementations are stateless and thread-safe.
 * Activations are heap float arrays (row-major, one row per token copy); weights are read
 * straight from the (memory-mapped) segment.
 */
public interface WeightKernel {

    GgmlType type();

    /**
     * Dequantizes {@code n} elements ({@code n} a multiple of the block size) that start at
     * {@code byteOffset} in {@code w} into {@code dst[dstOffset ..]}.
     */
    void dequantize(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n);

    /**
     * Multi-row matrix product over a range of weight rows: for every weight row {@code o} in
     * [{@code rowStart}, {@code rowEnd}) and every activation row {@code r} in [0, {@code nRows}),
     * {@code out[r * outStride + o] = dot(w row o, x[r * xStride .. r * xStride + w.cols()))}.
     * Each weight block is loaded once and applied to all activation rows.
     */
    void matmul(WeightMatrix w, float[] x, int xStride, int nRows, float[] out, int outStride, int rowStart, int rowEnd);
}
