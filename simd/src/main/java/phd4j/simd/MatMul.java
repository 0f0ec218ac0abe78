package phd4j.simd;

/**
 * Multi-row matrix products, split over a {@link WorkerPool} by weight rows.
 */
public final class MatMul {
    /** Weight rows per unit of work: enough for each thread to stream contiguous memory. */
    private static final int ROWS_PER_UNIT = 16;
    /**
     * Below this many multiply-adds a product runs on the calling thread: waking the other
     * threads costs more than the work (a 64x64 matrix of a tiny model takes about a microsecond).
     */
    static final long MIN_PARALLEL_WORK = 1 << 16;

    private MatMul() {
    }

    /**
     * out[r][o] = dot(w row o, x[r]) for every activation row r in [0, nRows) and weight row o.
     *
     * @param x   activations, [nRows][w.cols()] row-major (may be longer)
     * @param out results, [nRows][w.rows()] row-major (may be longer)
     */
    public static void multiply(WorkerPool pool, WeightMatrix w, float[] x, int nRows, float[] out) {
        int rows = w.rows();
        int cols = w.cols();
        if (nRows < 0) {
            throw new IllegalArgumentException("nRows must be >= 0, got " + nRows);
        }
        if (x.length < (long) nRows * cols) {
            throw new IllegalArgumentException("x holds " + x.length + " floats, " + nRows + " rows of " + cols + " need " + (long) nRows * cols);
        }
        if (out.length < (long) nRows * rows) {
            throw new IllegalArgumentException("out holds " + out.length + " floats, " + nRows + " rows of " + rows + " need " + (long) nRows * rows);
        }
        if (nRows == 0) {
            return;
        }
        WeightKernel kernel = Kernels.of(w.type());
        if ((long) nRows * rows * cols < MIN_PARALLEL_WORK) {
            kernel.matmul(w, x, cols, nRows, out, rows, 0, rows);
            return;
        }
        int units = (rows + ROWS_PER_UNIT - 1) / ROWS_PER_UNIT;
        pool.parallelFor(units, (start, end) ->
                kernel.matmul(w, x, cols, nRows, out, rows, start * ROWS_PER_UNIT, Math.min(end * ROWS_PER_UNIT, rows)));
    }
}
