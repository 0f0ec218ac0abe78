package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.L;

import jdk.incubator.vector.FloatVector;

/**
 * The one matrix-matrix product: C[M][N] (+)= A[M][K] . B[K][N], row-major with leading
 * dimensions and offsets into larger arrays. Every many-row product is this shape once its
 * operands are laid out right:
 * <pre>
 *   prefill        out[R][o0..o1) = X[R][cols] . Wb^T[cols][o1-o0]   ({@link #multiply}: a block of
 *                  weight rows dequantized and transposed into a per-thread buffer that stays in L2)
 *   train forward  Y[R][out]     = X[R][in]   . W^T[in][out]         (W^T transposed once per step)
 *   train input    dX[R][in]    += dY[R][out] . W[out][in]
 *   train weight   dW[out][in]  += dY^T[out][R] . X[R][in]           ({@link #mulTransposedA}, dY read in place)
 * </pre>
 * Register-blocked: 4 rows of C times 3 vectors of columns are kept in 12 accumulators while k
 * runs, so each step loads 3 vectors of B and broadcasts 4 scalars of A into 12 FMAs (a
 * row-at-a-time kernel loads 5 vectors per 4 FMAs) and no sum is reduced across lanes. Each
 * element of C is one fused multiply-add chain in ascending k, started from 0 (or C), in the
 * vector and the scalar tails alike: results do not depend on the tiling, the thread count or
 * the split, so training is bit-reproducible. They differ from the row-at-a-time weight kernels'
 * (lane-wise, then reduced) by rounding.
 */
public final class Gemm {
    private static final int MR = 4;
    /** Below this many multiply-adds, run on the calling thread. */
    private static final long MIN_PARALLEL = 1 << 15;
    /**
     * Weight rows per prefill block: whole tiles of three output vectors at every width (3L = 12,
     * 24 or 48). Fewer would leave the single-vector tile (4 FMAs per 5 loads) more of the work;
     * more makes too few blocks to share among threads.
     */
    static final int BLOCK_ROWS = 48;
    /**
     * Floats of transposed weights one pass over the activation rows reads (256 KiB, a quarter of
     * a core's L2): a block's columns are taken in slices of this many floats, each continuing
     * the sums of the one before (the same chains as in one pass), so the slice stays in L2 while
     * every group of four activation rows runs over it, however long the weight rows.
     */
    private static final int SLICE_FLOATS = 64 * 1024;

    /** Per thread: one dequantized weight row, and a block of rows transposed. */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[2][0]);
    private static final int ROW = 0, COLUMNS = 1;

    private Gemm() {
    }

    /** C (+)= A B; {@code accumulate} false overwrites C. Split over the pool (if any) by rows of C. */
    public static void mul(WorkerPool pool, int m, int n, int k,
                           float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                           float[] c, int cOff, int ldc, boolean accumulate) {
        run(pool, m, n, k, a, aOff, lda, 1, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    /**
     * C (+)= A^T B where A is stored [k][m] with leading dimension lda: a weight gradient
     * dW[out][in] += dY^T X reads dY [R][out] in place instead of transposing it first. The same
     * sums in the same order as mul on A^T.
     */
    public static void mulTransposedA(WorkerPool pool, int m, int n, int k,
                                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                      float[] c, int cOff, int ldc, boolean accumulate) {
        run(pool, m, n, k, a, aOff, 1, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    /**
     * Multiplies weight rows [o0, o1) of {@code w} with activation rows [0, nRows) of x into out,
     * as {@link WeightKernel#matmul} does, on the calling thread.
     */
    static void multiply(WeightKernel kernel, WeightMatrix w, float[] x, int xStride, int nRows,
                         float[] out, int outStride, int o0, int o1) {
        int cols = w.cols();
        int nw = o1 - o0;
        float[] row = buffer(ROW, cols);
        float[] wt = buffer(COLUMNS, cols * nw);
        int[] down = new int[L];
        for (int l = 0; l < L; l++) down[l] = l * nw;
        int bound = F.loopBound(cols);
        // Row by row, dequantized into a buffer that stays in L1, then scattered down a column of
        // wt: wt[i * nw + j] = weight (o0 + j, i).
        for (int j = 0; j < nw; j++) {
            kernel.dequantize(w.data(), (o0 + j) * w.rowBytes(), row, 0, cols);
            int i = 0;
            for (; i < bound; i += L) FloatVector.fromArray(F, row, i).intoArray(wt, i * nw + j, down, 0);
            for (; i < cols; i++) wt[i * nw + j] = row[i];
        }
        int slice = Math.max(1, SLICE_FLOATS / nw);
        for (int k0 = 0; k0 < cols; k0 += slice) {
            int k = Math.min(slice, cols - k0);
            rows(0, nRows, nw, k, x, k0, xStride, 1, wt, k0 * nw, nw, out, o0, outStride, k0 > 0);
        }
    }

    private static float[] buffer(int which, int floats) {
        float[][] holder = BUFFERS.get();
        if (holder[which].length < floats) holder[which] = new float[floats];
        return holder[which];
    }

    /** Element (i, p) of A is a[aOff + i * aRow + p * aCol]. */
    private static void run(WorkerPool pool, int m, int n, int k, float[] a, int aOff, int aRow, int aCol,
                            float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        if (pool == null || (long) m * n * k < MIN_PARALLEL) {
            rows(0, m, n, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, accumulate);
            return;
        }
        pool.parallelFor((m + MR - 1) / MR, (b0, b1) ->
                rows(b0 * MR, Math.min(m, b1 * MR), n, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, accumulate));
    }

    /** Rows [m0, m1) of C: blocks of four, then one at a time. */
    private static void rows(int m0, int m1, int n, int k, float[] a, int aOff, int aRow, int aCol, float[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc, boolean acc) {
        int i = m0;
        for (; i + MR <= m1; i += MR) block4(i, n, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, acc);
        for (; i < m1; i++) row1(i, n, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, acc);
    }

    /** Rows i..i+3 of C: tiles of 3 vectors of columns, then single vectors, then scalar columns. */
    private static void block4(int i, int n, int k, float[] a, int aOff, int aRow, int aCol, float[] b, int bOff, int ldb,
                               float[] c, int cOff, int ldc, boolean acc) {
        int a0 = aOff + i * aRow, a1 = a0 + aRow, a2 = a1 + aRow, a3 = a2 + aRow;
        int c0 = cOff + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        int j = 0;
        for (; j + 3 * L <= n; j += 3 * L) {
            FloatVector s00, s01, s02, s10, s11, s12, s20, s21, s22, s30, s31, s32;
            if (acc) {
                s00 = FloatVector.fromArray(F, c, c0 + j); s01 = FloatVector.fromArray(F, c, c0 + j + L); s02 = FloatVector.fromArray(F, c, c0 + j + 2 * L);
                s10 = FloatVector.fromArray(F, c, c1 + j); s11 = FloatVector.fromArray(F, c, c1 + j + L); s12 = FloatVector.fromArray(F, c, c1 + j + 2 * L);
                s20 = FloatVector.fromArray(F, c, c2 + j); s21 = FloatVector.fromArray(F, c, c2 + j + L); s22 = FloatVector.fromArray(F, c, c2 + j + 2 * L);
                s30 = FloatVector.fromArray(F, c, c3 + j); s31 = FloatVector.fromArray(F, c, c3 + j + L); s32 = FloatVector.fromArray(F, c, c3 + j + 2 * L);
            } else {
                s00 = s01 = s02 = s10 = s11 = s12 = s20 = s21 = s22 = s30 = s31 = s32 = FloatVector.zero(F);
            }
            for (int p = 0, ap = 0, bp = bOff + j; p < k; p++, ap += aCol, bp += ldb) {
                FloatVector b0 = FloatVector.fromArray(F, b, bp);
                FloatVector b1 = FloatVector.fromArray(F, b, bp + L);
                FloatVector b2 = FloatVector.fromArray(F, b, bp + 2 * L);
                FloatVector x = FloatVector.broadcast(F, a[a0 + ap]);
                s00 = b0.fma(x, s00); s01 = b1.fma(x, s01); s02 = b2.fma(x, s02);
                x = FloatVector.broadcast(F, a[a1 + ap]);
                s10 = b0.fma(x, s10); s11 = b1.fma(x, s11); s12 = b2.fma(x, s12);
                x = FloatVector.broadcast(F, a[a2 + ap]);
                s20 = b0.fma(x, s20); s21 = b1.fma(x, s21); s22 = b2.fma(x, s22);
                x = FloatVector.broadcast(F, a[a3 + ap]);
                s30 = b0.fma(x, s30); s31 = b1.fma(x, s31); s32 = b2.fma(x, s32);
            }
            s00.intoArray(c, c0 + j); s01.intoArray(c, c0 + j + L); s02.intoArray(c, c0 + j + 2 * L);
            s10.intoArray(c, c1 + j); s11.intoArray(c, c1 + j + L); s12.intoArray(c, c1 + j + 2 * L);
            s20.intoArray(c, c2 + j); s21.intoArray(c, c2 + j + L); s22.intoArray(c, c2 + j + 2 * L);
            s30.intoArray(c, c3 + j); s31.intoArray(c, c3 + j + L); s32.intoArray(c, c3 + j + 2 * L);
        }
        for (; j + L <= n; j += L) {
            FloatVector s0, s1, s2, s3;
            if (acc) {
                s0 = FloatVector.fromArray(F, c, c0 + j); s1 = FloatVector.fromArray(F, c, c1 + j);
                s2 = FloatVector.fromArray(F, c, c2 + j); s3 = FloatVector.fromArray(F, c, c3 + j);
            } else {
                s0 = s1 = s2 = s3 = FloatVector.zero(F);
            }
            for (int p = 0, ap = 0, bp = bOff + j; p < k; p++, ap += aCol, bp += ldb) {
                FloatVector b0 = FloatVector.fromArray(F, b, bp);
                s0 = b0.fma(FloatVector.broadcast(F, a[a0 + ap]), s0);
                s1 = b0.fma(FloatVector.broadcast(F, a[a1 + ap]), s1);
                s2 = b0.fma(FloatVector.broadcast(F, a[a2 + ap]), s2);
                s3 = b0.fma(FloatVector.broadcast(F, a[a3 + ap]), s3);
            }
            s0.intoArray(c, c0 + j); s1.intoArray(c, c1 + j); s2.intoArray(c, c2 + j); s3.intoArray(c, c3 + j);
        }
        for (; j < n; j++) {
            float s0 = acc ? c[c0 + j] : 0, s1 = acc ? c[c1 + j] : 0, s2 = acc ? c[c2 + j] : 0, s3 = acc ? c[c3 + j] : 0;
            for (int p = 0, ap = 0, bp = bOff + j; p < k; p++, ap += aCol, bp += ldb) {
                float bv = b[bp];
                s0 = Math.fma(a[a0 + ap], bv, s0);
                s1 = Math.fma(a[a1 + ap], bv, s1);
                s2 = Math.fma(a[a2 + ap], bv, s2);
                s3 = Math.fma(a[a3 + ap], bv, s3);
            }
            c[c0 + j] = s0; c[c1 + j] = s1; c[c2 + j] = s2; c[c3 + j] = s3;
        }
    }

    /** One row of C (the rows left over after blocks of four). */
    private static void row1(int i, int n, int k, float[] a, int aOff, int aRow, int aCol, float[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc, boolean acc) {
        int a0 = aOff + i * aRow, c0 = cOff + i * ldc;
        int j = 0;
        for (; j + L <= n; j += L) {
            FloatVector s = acc ? FloatVector.fromArray(F, c, c0 + j) : FloatVector.zero(F);
            for (int p = 0, ap = 0, bp = bOff + j; p < k; p++, ap += aCol, bp += ldb) {
                s = FloatVector.fromArray(F, b, bp).fma(FloatVector.broadcast(F, a[a0 + ap]), s);
            }
            s.intoArray(c, c0 + j);
        }
        for (; j < n; j++) {
            float s = acc ? c[c0 + j] : 0;
            for (int p = 0, ap = 0, bp = bOff + j; p < k; p++, ap += aCol, bp += ldb) s = Math.fma(a[a0 + ap], b[bp], s);
            c[c0 + j] = s;
        }
    }

    /**
     * dst[dOff + c * rows + r] = src[sOff + r * ld + c] for a rows x cols block of a matrix with
     * leading dimension ld, in 32 x 32 tiles; split over the pool (if any) by blocks of source rows.
     */
    public static void transpose(WorkerPool pool, float[] src, int sOff, int ld, int rows, int cols, float[] dst, int dOff) {
        final int tile = 32;
        int tiles = (rows + tile - 1) / tile;
        WorkerPool.RangeTask task = (t0, t1) -> {
            for (int r0 = t0 * tile; r0 < Math.min(rows, t1 * tile); r0 += tile) {
                int r1 = Math.min(rows, r0 + tile);
                for (int c0 = 0; c0 < cols; c0 += tile) {
                    int c1 = Math.min(cols, c0 + tile);
                    for (int r = r0; r < r1; r++) {
                        int s = sOff + r * ld;
                        for (int c = c0; c < c1; c++) dst[dOff + c * rows + r] = src[s + c];
                    }
                }
            }
        };
        if (pool == null || (long) rows * cols < MIN_PARALLEL) task.run(0, tiles);
        else pool.parallelFor(tiles, task);
    }
}
