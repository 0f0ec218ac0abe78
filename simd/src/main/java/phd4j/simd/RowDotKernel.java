package phd4j.simd;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A kernel whose matmul is built from per-type dot products of one weight row with a group of
 * activation rows: {@link #dotRows} (up to {@link #maxRows} rows, one decode of each weight
 * block for all of them), by default a {@link #dot1} per row; {@link #dotRows2} and
 * {@link #dotRows4} take two or four weight rows at once where {@link #weightStreams} asks for
 * it. Which loop a call runs is the kernel's table (see Q8_0Kernel). This class validates the arguments once per call (the vector loads run
 * unchecked in production) and walks rows and activation groups, for every weight type: the
 * float types and Q8_0 with their own multi-row loops, the K-quants with a four-row dotRows,
 * Q4_0, Q4_1, Q5_0 and Q5_1 with dot1 alone (their decoding reads {@link Interleaved}).
 */
abstract class RowDotKernel implements WeightKernel {
    /**
     * dot(the weight row at byte {@code row}, x[xOffset .. xOffset + cols)). A kernel overrides
     * this or {@link #dotRows} (each default is built on the other): by default, dotRows with a
     * group of one.
     */
    float dot1(MemorySegment w, long row, int cols, float[] x, int xOffset) {
        float[] sum = new float[1];
        dotRows(w, row, cols, x, xOffset, cols, 1, sum);
        return sum[0];
    }

    /**
     * The most activation rows {@link #dotRows} takes at once. Kernels that override
     * {@link #dotRows} with exact row counts may raise it.
     */
    int maxRows() {
        return 4;
    }

    /**
     * dot(the weight row at byte {@code row}, each of the {@code n} activation rows
     * x[xOffset + r * xStride ..], r in [0, n)), written to sums[0 .. n); 1 <= n <= {@link #maxRows}.
     * Kernels override this to do exactly n rows' work (one decode of each weight block, n rows
     * of multiply-adds); the default makes a {@link #dot1} call per row.
     */
    void dotRows(MemorySegment w, long row, int cols, float[] x, int xOffset, int xStride, int n, float[] sums) {
        for (int r = 0; r < n; r++) sums[r] = dot1(w, row, cols, x, xOffset + r * xStride);
    }

    /**
     * The same for two weight rows at once (bytes {@code row0} and {@code row1}): sums[k] for row0
     * and sums[maxRows() + k] for row1. Kernels override it to load each activation vector once
     * for both weight rows (loads, not multiply-adds, limit a multi-row kernel on Zen 4: a 512-bit
     * load takes both load slots of a cycle). The default makes two {@link #dotRows} calls.
     */
    void dotRows2(MemorySegment w, long row0, long row1, int cols, float[] x, int xOffset, int xStride, int n, float[] sums) {
        int m = maxRows();
        dotRows(w, row1, cols, x, xOffset, xStride, n, sums);
        System.arraycopy(sums, 0, sums, m, n);
        dotRows(w, row0, cols, x, xOffset, xStride, n, sums);
    }

    /**
     * The same for four weight rows: sums[j * maxRows() + k] for weight row j. Only called when
     * {@link #weightStreams} returns 4. The default makes two {@link #dotRows2} calls.
     */
    void dotRows4(MemorySegment w, long row0, long row1, long row2, long row3, int cols, float[] x, int xOffset, int xStride,
            int n, float[] sums) {
        int m = maxRows();
        dotRows2(w, row2, row3, cols, x, xOffset, xStride, n, sums);
        System.arraycopy(sums, 0, sums, 2 * m, n);
        System.arraycopy(sums, m, sums, 3 * m, n);
        dotRows2(w, row0, row1, cols, x, xOffset, xStride, n, sums);
    }

    /**
     * How many weight rows {@link #matmul} hands the kernel at once for {@code nRows} activation
     * rows of {@code cols} elements: 1 ({@link #dotRows}), 2 ({@link #dotRows2}) or 4
     * ({@link #dotRows4}, only if nRows <= maxRows()).
     */
    int weightStreams(int nRows, int cols) {
        return 1;
    }

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
        // The rows this call reads lie in the segment (WeightMatrix checked its size), so the
        // kernels' vector loads may run unchecked. The call on the segment also gives the JIT a
        // type profile here: with it, the loads of a kernel inlined into this method know the
        // segment's class and compile to plain loads, not two virtual calls each (a 4x slower
        // F32 decode on a cache-resident model).
        Objects.checkFromToIndex(rowStart * rowBytes, rowEnd * rowBytes, data.byteSize());
        int group = maxRows();
        float[] sums = new float[group];
        int o = rowStart;
        int streams = weightStreams(nRows, cols);
        if (streams > 1 && rowEnd - rowStart >= streams) {
            // Weight rows o, o + q, o + 2q, ...: sequential streams in different pages. Adjacent
            // rows, read as interleaved streams a row apart, defeat the hardware prefetcher here
            // (single-thread reads from DRAM fell from ~20 to ~6 GB/s).
            float[] buf = new float[streams * group];
            int q = (rowEnd - rowStart) / streams;
            for (; o < rowStart + q; o++) {
                for (int r = 0; r < nRows; r += group) {
                    int n = Math.min(group, nRows - r);
                    if (streams == 2) {
                        dotRows2(data, o * rowBytes, (o + q) * rowBytes, cols, x, r * xStride, xStride, n, buf);
                    } else {
                        dotRows4(data, o * rowBytes, (o + q) * rowBytes, (o + 2 * q) * rowBytes, (o + 3 * q) * rowBytes,
                                cols, x, r * xStride, xStride, n, buf);
                    }
                    int at = r * outStride + o;
                    for (int k = 0; k < n; k++) {
                        for (int j = 0; j < streams; j++) {
                            out[at + k * outStride + j * q] = buf[j * group + k];
                        }
                    }
                }
            }
            o = rowStart + streams * q;
        }
        for (; o < rowEnd; o++) {
            long row = o * rowBytes;
            // Groups of maxRows() activation rows, the last one as many as are left: each weight
            // row is decoded once per group (and read from memory once: later groups hit L1).
            for (int r = 0; r < nRows; r += group) {
                int n = Math.min(group, nRows - r);
                dotRows(data, row, cols, x, r * xStride, xStride, n, sums);
                int at = r * outStride + o;
                for (int k = 0; k < n; k++) {
                    out[at + k * outStride] = sums[k];
                }
            }
        }
    }
}
