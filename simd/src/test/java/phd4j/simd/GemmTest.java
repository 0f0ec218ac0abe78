package phd4j.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class GemmTest {
    @Test
    void matchesNaiveProductWithOffsetsStridesAndTails() {
        Random rnd = new Random(1);
        try (WorkerPool pool = new WorkerPool(2)) {
            int[][] shapes = {{1, 1, 1}, {5, 7, 3}, {9, 50, 33}, {64, 96, 40}, {13, 129, 70}};
            for (int[] sh : shapes) {
                int m = sh[0], n = sh[1], k = sh[2];
                int lda = k + 3, ldb = n + 5, ldc = n + 2;
                float[] a = rand(rnd, 4 + m * lda), b = rand(rnd, 2 + k * ldb), c0 = rand(rnd, 1 + m * ldc);
                for (boolean acc : new boolean[] {false, true}) {
                    float[] c = c0.clone();
                    Gemm.mul(pool, m, n, k, a, 4, lda, b, 2, ldb, c, 1, ldc, acc);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double want = acc ? c0[1 + i * ldc + j] : 0;
                            for (int p = 0; p < k; p++) want += (double) a[4 + i * lda + p] * b[2 + p * ldb + j];
                            assertEquals(want, c[1 + i * ldc + j], 1e-4 * (1 + Math.abs(want)));
                        }
                    }
                }
                // A^T stored [k][m]: the same product read through mulTransposedA, bit for bit
                int ldt = m + 2;
                float[] at = new float[5 + k * ldt];
                for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) at[5 + p * ldt + i] = a[4 + i * lda + p];
                for (boolean acc : new boolean[] {false, true}) {
                    float[] c = c0.clone(), ct = c0.clone();
                    Gemm.mul(pool, m, n, k, a, 4, lda, b, 2, ldb, c, 1, ldc, acc);
                    Gemm.mulTransposedA(pool, m, n, k, at, 5, ldt, b, 2, ldb, ct, 1, ldc, acc);
                    assertArrayEquals(c, ct);
                }
                float[] tr = new float[m * k + 3];
                Gemm.transpose(pool, a, 4, lda, m, lda, new float[m * lda], 0);
                float[] dense = new float[m * k];
                for (int i = 0; i < m; i++) System.arraycopy(a, 4 + i * lda, dense, i * k, k);
                Gemm.transpose(pool, dense, 0, k, m, k, tr, 3);
                for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) assertEquals(dense[i * k + p], tr[3 + p * m + i]);
                float[] strided = new float[m * k + 3];   // the same block read in place, row stride lda
                Gemm.transpose(null, a, 4, lda, m, k, strided, 3);
                assertArrayEquals(tr, strided);
            }
        }
    }

    static float[] rand(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }
}
