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
    /**
     * From this many activation rows on, a product goes through {@link Gemm} (weights dequantized
     * once per block into L2, a register-blocked f32 micro-kernel); below it, through the weight
     * type's own multi-row kernel, which streams the weights once (the decode path). Quantized
     * types use their own kernel unless {@link #DEQUANTIZE_ALL}.
     * {@code -Dphd4j.gemm.minRows=N} changes it (0 turns the matrix-matrix path off).
     */
    static final int GEMM_MIN_ROWS = Integer.getInteger("phd4j.gemm.minRows", 8);
    /**
     * Whether quantized types take the matrix-matrix path too (f32 products of dequantized
     * weights: a different rounding than their own kernels, so off by default; for measurements).
     */
    static final boolean DEQUANTIZE_ALL = Boolean.getBoolean("phd4j.gemm.dequantizeAll");

    /** Types whose dequantized weights times the activations are the kernel's own products. */
    private static boolean exactlyDequantized(GgmlType t) {
        return t == GgmlType.F32 || t == GgmlType.F16 || t == GgmlType.BF16;
    }

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
        if (GEMM_MIN_ROWS > 0 && nRows >= GEMM_MIN_ROWS && (DEQUANTIZE_ALL || exactlyDequantized(w.type()))) {
            int block = Gemm.blockRows(cols);
            int blocks = (rows + block - 1) / block;
            pool.parallelFor(blocks, (start, end) -> {
                for (int b = start; b < end; b++) {
                    Gemm.multiply(kernel, w, x, cols, nRows, out, rows, b * block, Math.min((b + 1) * block, rows));
                }
            });
            return;
        }
        if ((long) nRows * rows * cols < MIN_PARALLEL_WORK) {
            kernel.matmul(w, x, cols, nRows, out, rows, 0, rows);
            return;
        }
        int units = (rows + ROWS_PER_UNIT - 1) / ROWS_PER_UNIT;
        pool.parallelFor(units, (start, end) ->
                kernel.matmul(w, x, cols, nRows, out, rows, start * ROWS_PER_UNIT, Math.min(end * ROWS_PER_UNIT, rows)));
    }
}
