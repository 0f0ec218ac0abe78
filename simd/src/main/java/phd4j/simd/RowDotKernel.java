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
    /** dot(the weight row at byte {@code row}, x[xOffset .. xOffset + cols)). */
    abstract float dot1(MemorySegment w, long row, int cols, float[] x, int xOffset);

    /**
     * The same for four activation rows at x0..x3, written to sums[0..3]. Callers may repeat an
     * activation row to fill a group of four.
     */
    abstract void dot4(MemorySegment w, long row, int cols, float[] x, int x0, int x1, int x2, int x3, float[] sums);

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
        float[] sums = new float[4];
        for (int o = rowStart; o < rowEnd; o++) {
            long row = o * rowBytes;
            // Groups of four activation rows; a group of 2 or 3 repeats its last row (wasted
            // multiplies, cheaper than decoding the weights again), a lone row takes dot1.
            for (int r = 0; r < nRows; r += 4) {
                int at = r * outStride + o;
                if (nRows - r == 1) {
                    out[at] = dot1(data, row, cols, x, r * xStride);
                    continue;
                }
                int last = Math.min(r + 3, nRows - 1);
                dot4(data, row, cols, x, r * xStride, (r + 1) * xStride, Math.min(r + 2, last) * xStride, last * xStride, sums);
                for (int k = 0; k <= last - r; k++) {
                    out[at + k * outStride] = sums[k];
                }
            }
        }
    }
}
