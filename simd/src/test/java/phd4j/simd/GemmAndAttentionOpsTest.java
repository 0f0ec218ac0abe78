package phd4j.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GemmAndAttentionOpsTest {

    @Test
    void gemmMatchesDoubleReferenceOfTheDequantizedWeights() {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofShared()) {
            for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_1}) {
                WeightKernel kernel = Kernels.of(type);
                for (int[] d : new int[][] {{1, 1, 1}, {5, 7, 13}, {9, 13, 37}, {8, 70, 64}, {33, 70, 100}, {17, 130, 768}}) {
                    int n = d[0], rows = d[1], bs = type.blockSize, cols = (d[2] + bs - 1) / bs * bs;
                    WeightMatrix w = TestWeights.random(arena, type, rows, cols, rnd);
                    float[] wf = new float[rows * cols];
                    kernel.dequantize(w.data(), 0, wf, 0, rows * cols);
                    int xStride = cols + 3, outStride = rows + 5;
                    float[] x = TestWeights.randomFloats(n * xStride, rnd);
                    float[] out = new float[n * outStride];
                    int o0 = rows / 3, o1 = rows;
                    Gemm.multiply(kernel, w, x, xStride, n, out, outStride, o0, o1);
                    for (int r = 0; r < n; r++) {
                        for (int o = 0; o < rows; o++) {
                            double ref = 0, mag = 0;
                            for (int i = 0; i < cols; i++) {
                                ref += (double) wf[o * cols + i] * x[r * xStride + i];
                                mag += Math.abs((double) wf[o * cols + i] * x[r * xStride + i]);
                            }
                            float got = out[r * outStride + o];
                            if (o < o0) assertEquals(0f, got, "row outside the range written");
                            else assertEquals(ref, got, 1e-5 * (1 + mag), type + " " + n + "x" + rows + "x" + cols + " r" + r + " o" + o);
                        }
                    }
                }
            }
        }
    }

    @Test
    void attentionKernelsMatchNaiveLoops() {
        Random rnd = new Random(11);
        for (int hd : new int[] {4, 16, 40, 64, 128}) {
            for (int[] d : new int[][] {{1, 1}, {3, 5}, {8, 33}, {13, 70}}) {
                int nq = d[0], nk = d[1], qStride = hd * 3, kStride = hd * 2 + 1;
                float[] q = TestWeights.randomFloats(nq * qStride + hd, rnd);
                float[] k = TestWeights.randomFloats(nk * kStride + hd + 2, rnd);
                int[] qOff = new int[nq], sOff = new int[nq];
                int cols = nk + 4;
                for (int r = 0; r < nq; r++) {
                    qOff[r] = (nq - 1 - r) * qStride + 1; // any order
                    sOff[r] = r * cols;
                }
                float[] s = new float[nq * cols];
                AttentionOps.scores(q, qOff, nq, java.lang.foreign.MemorySegment.ofArray(k), 2, kStride, nk, hd, 0.5f, s, sOff, 3);
                for (int r = 0; r < nq; r++) {
                    for (int j = 0; j < nk; j++) {
                        double ref = 0;
                        for (int i = 0; i < hd; i++) ref += (double) q[qOff[r] + i] * k[2 + j * kStride + i];
                        assertEquals(ref * 0.5, s[sOff[r] + 3 + j], 1e-5 * (1 + hd), "score hd " + hd + " r" + r + " j" + j);
                    }
                    Ops.softmax(s, sOff[r] + 3, nk);
                }
                float[] out = TestWeights.randomFloats(nq * qStride + hd, rnd);
                float[] before = out.clone();
                AttentionOps.accumulate(s, sOff, 3, nq, java.lang.foreign.MemorySegment.ofArray(k), 2, kStride, nk, hd, out, qOff);
                for (int r = 0; r < nq; r++) {
                    double sum = 0;
                    for (int j = 0; j < nk; j++) sum += s[sOff[r] + 3 + j];
                    assertEquals(1.0, sum, 1e-5, "softmax sums to 1");
                    for (int c = 0; c < hd; c++) {
                        double ref = before[qOff[r] + c];
                        for (int j = 0; j < nk; j++) ref += (double) s[sOff[r] + 3 + j] * k[2 + j * kStride + c];
                        assertEquals(ref, out[qOff[r] + c], 1e-5 * (1 + nk), "accumulate hd " + hd + " r" + r + " c" + c);
                    }
                }
            }
        }
    }

    @Test
    void softmaxTurnsMaskedEntriesIntoZero() {
        float[] x = new float[37];
        for (int i = 0; i < x.length; i++) x[i] = i % 3 == 0 ? Float.NEGATIVE_INFINITY : i * 0.1f;
        Ops.softmax(x, 0, x.length);
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            if (i % 3 == 0) assertEquals(0f, x[i]);
            sum += x[i];
        }
        assertEquals(1.0, sum, 1e-6);
    }
}
