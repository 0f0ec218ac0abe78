package phd4j.simd;

/**
 * Multi-row matrix products, split over a {@link WorkerPool} by weight rows: for a few activation
 * rows (decode) through the matrix's {@link Interleaved} copy when it has one, else each type's
 * own kernel; for many (prompt batches) through {@link Gemm}.
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
     * From this many activation rows on (prompt batches, not decode steps) a product goes through
     * {@link Gemm}: the weights of a block are dequantized once (exact: scale x quant fits an
     * f32), transposed, and multiplied by a register-blocked f32 micro-kernel. Below it, through
     * the type's own multi-row kernel, which streams the weights once (the decode path). Gemm's
     * transposition pays from about 32 rows on (F32 688 x 256, 1 thread, GFLOP/s: the row kernel
     * 48.6 / 47.8 / 40.1 at 8 / 16 / 32 rows, Gemm 18.8 / 31.1 / 49.2). The sums are rounded
     * differently from the kernel's (about 1e-5 relative). {@code -Dphd4j.gemm.minRows=N}
     * changes it (0 turns the matrix-matrix path off).
     */
    static final int GEMM_MIN_ROWS = Integer.getInteger("phd4j.gemm.minRows", 32);

    private static boolean useGemm(int nRows) {
        return GEMM_MIN_ROWS > 0 && nRows >= GEMM_MIN_ROWS;
    }

    private MatMul() {
    }

    /**
     * The decode path of a matrix with an interleaved copy: the activations are quantized once,
     * here, and the row groups are split over the pool (the split does not change any result).
     * One task per concrete layout, so that each is a compilation root of its own in which C2
     * sees one class: a task shared by two inlines both tile loops, runs out of its node budget
     * and leaves vector operations boxed (measured: Q4_K_M decode 40 % slower).
     */
    private static void multiplyInterleaved(WorkerPool pool, Interleaved w, float[] x, int nRows, int cols, float[] out, int rows) {
        Q8Activations q = Q8Activations.forThread().quantize(x, cols, nRows, cols);
        WorkerPool.RangeTask task = switch (w) {
            case InterleavedQ4 q4 -> (start, end) -> q4.multiply(q, nRows, out, rows, start, end);
            case InterleavedQ4K q4k -> (start, end) -> q4k.multiply(q, nRows, out, rows, start, end);
            case InterleavedQ6K q6k -> (start, end) -> q6k.multiply(q, nRows, out, rows, start, end);
            case InterleavedInt8 q8 -> (start, end) -> q8.multiply(q, nRows, out, rows, start, end);
        };
        if ((long) nRows * rows * cols < MIN_PARALLEL_WORK) {
            task.run(0, w.groups());
        } else {
            pool.parallelFor(w.groups(), task);
        }
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
        if (w.interleaved() != null && !useGemm(nRows)) {
            multiplyInterleaved(pool, w.interleaved(), x, nRows, cols, out, rows);
            return;
        }
        WeightKernel kernel = Kernels.of(w.type());
        if (useGemm(nRows)) {
            int block = Gemm.BLOCK_ROWS;
            int blocks = (rows + block - 1) / block;
            if ((long) nRows * rows * cols < MIN_PARALLEL_WORK) {
                Gemm.multiply(kernel, w, x, cols, nRows, out, rows, 0, rows);
                return;
            }
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
