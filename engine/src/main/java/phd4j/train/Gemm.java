package phd4j.train;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import phd4j.simd.WorkerPool;

/**
 * The one matrix product of training: C[M][N] (+)= A[M][K] . B[K][N], all row-major with leading
 * dimensions and offsets into larger arrays. Every product of the forward and backward pass is
 * this shape once operands are laid out right:
 * <pre>
 *   forward   Y[R][out]  = X[R][in]   . W^T[in][out]     (W^T transposed once per step)
 *   input     dX[R][in] += dY[R][out] . W[out][in]
 *   weight    dW[out][in] += dY^T[out][R] . X[R][in]      (dY transposed, a cheap pass)
 * </pre>
 * Register-blocked: 4 rows of C times 3 vectors of columns are kept in 12 accumulators while k
 * runs, so each step loads 3 vectors of B and 4 scalars of A for 12 FMAs (the GEMV-style
 * {@code MatMul} kernel loads 5 vectors per 4 FMAs). Work is split over the pool by blocks of C
 * rows; each element of C is summed by one thread in ascending k, so results do not depend on the
 * thread count or scheduling: bit-reproducible.
 */
public final class Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 4;
    /** Below this many multiply-adds, run on the calling thread. */
    private static final long MIN_PARALLEL = 1 << 15;

    private Gemm() {}

    /** C (+)= A B; {@code accumulate} false overwrites C. */
    public static void mul(WorkerPool pool, int m, int n, int k,
                           float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                           float[] c, int cOff, int ldc, boolean accumulate) {
        run(pool, m, n, k, a, aOff, lda, 1, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    /**
     * C (+)= A^T B where A is stored [k][m] with leading dimension lda: a weight gradient
     * dW[out][in] += dY^T X reads dY [R][out] in place, four consecutive elements of a dY row per
     * step, instead of transposing it first. The same sums in the same order as mul on A^T.
     */
    public static void mulTransposedA(WorkerPool pool, int m, int n, int k,
                                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                      float[] c, int cOff, int ldc, boolean accumulate) {
        run(pool, m, n, k, a, aOff, 1, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    /** Element (i, p) of A is a[aOff + i * aRow + p * aCol]. */
    private static void run(WorkerPool pool, int m, int n, int k, float[] a, int aOff, int aRow, int aCol,
                            float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        int blocks = (m + MR - 1) / MR;
        if (pool == null || (long) m * n * k < MIN_PARALLEL) {
            rows(0, m, n, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, accumulate);
            return;
        }
        pool.parallelFor(blocks, (b0, b1) ->
                rows(b0 * MR, Math.min(m, b1 * MR), n, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, accumulate));
    }

    private static void rows(int m0, int m1, int n, int k, float[] a, int aOff, int aRow, int aCol, float[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc, boolean acc) {
        int i = m0;
        for (; i + MR <= m1; i += MR) block4(i, n, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, acc);
        for (; i < m1; i++) row1(i, n, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, acc);
    }

    /** Rows i..i+3 of C. */
    private static void block4(int i, int n, int k, float[] a, int aOff, int aRow, int aCol, float[] b, int bOff, int ldb,
                               float[] c, int cOff, int ldc, boolean acc) {
        int a0 = aOff + i * aRow, a1 = a0 + aRow, a2 = a1 + aRow, a3 = a2 + aRow;
        int c0 = cOff + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        int j = 0;
        for (; j + 3 * L <= n; j += 3 * L) {
            FloatVector s00, s01, s02, s10, s11, s12, s20, s21, s22, s30, s31, s32;
            if (acc) {
                s00 = FloatVector.fromArray(S, c, c0 + j); s01 = FloatVector.fromArray(S, c, c0 + j + L); s02 = FloatVector.fromArray(S, c, c0 + j + 2 * L);
                s10 = FloatVector.fromArray(S, c, c1 + j); s11 = FloatVector.fromArray(S, c, c1 + j + L); s12 = FloatVector.fromArray(S, c, c1 + j + 2 * L);
                s20 = FloatVector.fromArray(S, c, c2 + j); s21 = FloatVector.fromArray(S, c, c2 + j + L); s22 = FloatVector.fromArray(S, c, c2 + j + 2 * L);
                s30 = FloatVector.fromArray(S, c, c3 + j); s31 = FloatVector.fromArray(S, c, c3 + j + L); s32 = FloatVector.fromArray(S, c, c3 + j + 2 * L);
            } else {
                s00 = s01 = s02 = s10 = s11 = s12 = s20 = s21 = s22 = s30 = s31 = s32 = FloatVector.zero(S);
            }
            for (int p = 0, ap = 0, bp = bOff + j; p < k; p++, ap += aCol, bp += ldb) {
                FloatVector b0 = FloatVector.fromArray(S, b, bp);
                FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
                FloatVector b2 = FloatVector.fromArray(S, b, bp + 2 * L);
                FloatVector x = FloatVector.broadcast(S, a[a0 + ap]);
                s00 = b0.fma(x, s00); s01 = b1.fma(x, s01); s02 = b2.fma(x, s02);
                x = FloatVector.broadcast(S, a[a1 + ap]);
                s10 = b0.fma(x, s10); s11 = b1.fma(x, s11); s12 = b2.fma(x, s12);
                x = FloatVector.broadcast(S, a[a2 + ap]);
                s20 = b0.fma(x, s20); s21 = b1.fma(x, s21); s22 = b2.fma(x, s22);
                x = FloatVector.broadcast(S, a[a3 + ap]);
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
                s0 = FloatVector.fromArray(S, c, c0 + j); s1 = FloatVector.fromArray(S, c, c1 + j);
                s2 = FloatVector.fromArray(S, c, c2 + j); s3 = FloatVector.fromArray(S, c, c3 + j);
            } else {
                s0 = s1 = s2 = s3 = FloatVector.zero(S);
            }
            for (int p = 0, ap = 0, bp = bOff + j; p < k; p++, ap += aCol, bp += ldb) {
                FloatVector b0 = FloatVector.fromArray(S, b, bp);
                s0 = b0.fma(FloatVector.broadcast(S, a[a0 + ap]), s0);
                s1 = b0.fma(FloatVector.broadcast(S, a[a1 + ap]), s1);
                s2 = b0.fma(FloatVector.broadcast(S, a[a2 + ap]), s2);
                s3 = b0.fma(FloatVector.broadcast(S, a[a3 + ap]), s3);
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
            FloatVector s = acc ? FloatVector.fromArray(S, c, c0 + j) : FloatVector.zero(S);
            for (int p = 0, ap = 0, bp = bOff + j; p < k; p++, ap += aCol, bp += ldb) {
                s = FloatVector.fromArray(S, b, bp).fma(FloatVector.broadcast(S, a[a0 + ap]), s);
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
     * leading dimension ld; split over the pool (if any) by blocks of source rows.
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
