package phd4j.simd;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A kernel whose matmul is built from two per-type dot products of one weight row: with one
 * activation row ({@link #dot1}, the decode hot path) and with four ({@link #dot4}, one decode of
 * each weight block feeding four accumulators). This class validates the arguments once per call
 * (the vector loads run unchecked in production) and walks rows and activation groups.
 */
abstract class RowDotKernel implements WeightKernel {

    /** dot(weight row at {@code row}, x[xOffset .. xOffset + cols)). */
    abstract float dot1(MemorySegment w, long row, int cols, float[] x, int xOffset);

    /**
     * The same for four activation rows at x0..x3, written to out[o0..o3]. Callers may repeat an
     * activation row (and its output index) to fill a group of four.
     */
    abstract void dot4(MemorySegment w, long row, int cols, float[] x, int x0, int x1, int x2, int x3,
                       float[] out, int o0, int o1, int o2, int o3);

    /** Vectorized dequantize of {@code n} elements, called after the arguments are checked. */
    abstract void dequantizeChecked(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n);

    @Override
    public final void dequantize(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        long bytes = type().bytesFor(n);
        Objects.checkFromIndexSize(byteOffset, bytes, w.byteSize());
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        dequantizeChecked(w, byteOffset, dst, dstOffset, n);
    }

    @Override
    public final void matmul(WeightMatrix w, float[] x, int xStride, int nRows, float[] out, int outStride, int rowStart, int rowEnd) {
        if (w.type() != type()) {
            throw new IllegalArgumentException(type() + " kernel given a " + w.type() + " matrix");
        }
        int cols = w.cols();
        Objects.checkFromToIndex(rowStart, rowEnd, w.rows());
        if (nRows < 0 || xStride < cols || outStride < w.rows()) {
            throw new IllegalArgumentException("nRows " + nRows + ", xStride " + xStride + " (cols " + cols
                    + "), outStride " + outStride + " (rows " + w.rows() + ")");
        }
        if (nRows == 0 || rowStart == rowEnd) {
            return;
        }
        Objects.checkFromIndexSize((long) (nRows - 1) * xStride, cols, x.length);
        Objects.checkFromIndexSize((long) (nRows - 1) * outStride, rowEnd, out.length);

        MemorySegment data = w.data();
        long rowBytes = w.rowBytes();
        for (int o = rowStart; o < rowEnd; o++) {
            long row = o * rowBytes;
            // Groups of four activation rows; a group of 2 or 3 repeats its last row (wasted
            // multiplies, cheaper than decoding the weights again), a lone row takes dot1.
            for (int r = 0; r < nRows; r += 4) {
                if (nRows - r == 1) {
                    out[r * outStride + o] = dot1(data, row, cols, x, r * xStride);
                } else {
                    int r1 = r + 1;
                    int r2 = Math.min(r + 2, nRows - 1);
                    int r3 = Math.min(r + 3, nRows - 1);
                    dot4(data, row, cols, x, r * xStride, r1 * xStride, r2 * xStride, r3 * xStride,
                            out, r * outStride + o, r1 * outStride + o, r2 * outStride + o, r3 * outStride + o);
                }
            }
        }
    }
}
