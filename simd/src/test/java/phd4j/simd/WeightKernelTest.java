package phd4j.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every core kernel against its scalar reference, on random weights of awkward sizes. */
@Timeout(60)
class WeightKernelTest {

    /**
     * The kernels sum in float, in a different order than the double reference. The error bound
     * is relative to sum |w_i * x_i| (the scale of the rounding errors), not to the possibly
     * cancelling result: a float sum of n terms is off by at most about n * 2^-24 of that. The
     * worst seen here is about 1e-6 (interpreted code sums the lanes sequentially; reduceLanes'
     * order is unspecified), so 1e-5 leaves a margin of ten; a wrong weight, element order or
     * stride is off by 1e-2 or more.
     */
    private static final double RELATIVE_TOLERANCE = 1e-5;

    private static final int[] ROWS = {1, 5, 33, 70};

    private static int[] colsFor(GgmlType type) {
        // 129 blocks: longer than Q8_0Kernel.LONG_ROW, where one activation row goes 4 weight rows at a time
        return type.blockSize == 1 ? new int[] {1, 15, 17, 257} : new int[] {32, 3 * 32, 7 * 32, 129 * 32};
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void dequantizeEqualsReferenceExactly(GgmlType type) {
        WeightKernel kernel = Kernels.of(type);
        Random rnd = new Random(type.id);
        try (Arena arena = Arena.ofConfined()) {
            for (int cols : colsFor(type)) {
                WeightMatrix w = TestWeights.random(arena, type, 5, cols, rnd);
                int n = w.rows() * cols;
                float[] expected = TestWeights.referenceMatrix(w);
                // whole matrix in one call, written at an offset into a larger array
                float[] whole = new float[n + 3];
                kernel.dequantize(w.data(), 0, whole, 3, n);
                assertBitsEqual(expected, 0, whole, 3, n, type + " cols " + cols);
                // row by row, starting mid-segment
                float[] row = new float[cols];
                for (int o = 0; o < w.rows(); o++) {
                    kernel.dequantize(w.data(), o * w.rowBytes(), row, 0, cols);
                    assertBitsEqual(expected, o * cols, row, 0, cols, type + " row " + o + " cols " + cols);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void matmulMatchesDoubleReference(GgmlType type) {
        WeightKernel kernel = Kernels.of(type);
        Random rnd = new Random(100 + type.id);
        try (Arena arena = Arena.ofConfined()) {
            for (int cols : colsFor(type)) {
                for (int rows : ROWS) {
                    WeightMatrix w = TestWeights.random(arena, type, rows, cols, rnd);
                    float[] weights = TestWeights.referenceMatrix(w);
                    for (int nRows = 1; nRows <= 17; nRows++) {
                        // strides wider than the rows, to catch mixed-up strides and stray writes
                        int xStride = cols + 3;
                        int outStride = rows + 2;
                        float[] x = TestWeights.randomFloats(nRows * xStride, rnd);
                        float[] out = new float[nRows * outStride];
                        Arrays.fill(out, Float.NaN);
                        int rowStart = rows > 1 ? 1 : 0; // a sub-range, as MatMul's chunks are
                        kernel.matmul(w, x, xStride, nRows, out, outStride, rowStart, rows);
                        for (int r = 0; r < nRows; r++) {
                            for (int o = 0; o < outStride; o++) {
                                float got = out[r * outStride + o];
                                String where = type + " " + rows + "x" + cols + " nRows " + nRows + " out[" + r + "][" + o + "]";
                                if (o < rowStart || o >= rows) {
                                    assertTrue(Float.isNaN(got), where + " should be untouched, is " + got);
                                    continue;
                                }
                                double dot = 0, scale = 0;
                                for (int i = 0; i < cols; i++) {
                                    double p = (double) weights[o * cols + i] * x[r * xStride + i];
                                    dot += p;
                                    scale += Math.abs(p);
                                }
                                double bound = RELATIVE_TOLERANCE * scale;
                                assertEquals(dot, got, bound, where);
                            }
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void multiplyOnTwoThreadsEqualsTheKernel(GgmlType type) {
        WeightKernel kernel = Kernels.of(type);
        Random rnd = new Random(200 + type.id);
        int cols = colsFor(type)[1];
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            for (int rows : new int[] {1, 33, 70, 300}) {
                WeightMatrix w = TestWeights.random(arena, type, rows, cols, rnd);
                float[] dense = TestWeights.referenceMatrix(w);
                for (int nRows : new int[] {1, 2, 3, 4, 5, 9}) {
                    float[] x = TestWeights.randomFloats(nRows * cols, rnd);
                    float[] expected = new float[nRows * rows];
                    kernel.matmul(w, x, cols, nRows, expected, rows, 0, rows);
                    float[] got = new float[nRows * rows];
                    MatMul.multiply(pool, w, x, nRows, got);
                    // Not bit equality: the JIT may compile the kernel between the two calls, and
                    // reduceLanes' summation order differs between interpreted and compiled code.
                    // Float rounding scales with sum |w x|, not with the result (which can cancel).
                    for (int r = 0; r < nRows; r++) {
                        for (int o = 0; o < rows; o++) {
                            double magnitude = TestWeights.absDot(dense, o * cols, x, r * cols, cols);
                            int i = r * rows + o;
                            assertEquals(expected[i], got[i], RELATIVE_TOLERANCE * (magnitude + 1e-30),
                                    type + " " + rows + "x" + cols + " nRows " + nRows + " out " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void kernelsOfReturnsTheKernelOfEachTypeAndRejectsOthers() {
        for (GgmlType type : TestWeights.TYPES) {
            assertSame(type, Kernels.of(type).type());
            assertSame(Kernels.of(type), Kernels.of(type));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kernels.of(GgmlType.Q8_1));
        assertEquals("no kernel for type Q8_1", e.getMessage());
    }

    @Test
    void matmulRejectsTooShortArraysAndWrongTypes() {
        try (Arena arena = Arena.ofConfined(); WorkerPool pool = new WorkerPool(1)) {
            WeightMatrix w = TestWeights.random(arena, GgmlType.Q8_0, 4, 64, new Random(1));
            assertThrows(IllegalArgumentException.class, () -> MatMul.multiply(pool, w, new float[2 * 64 - 1], 2, new float[8]));
            assertThrows(IllegalArgumentException.class, () -> MatMul.multiply(pool, w, new float[2 * 64], 2, new float[7]));
            assertThrows(IllegalArgumentException.class, () -> Kernels.of(GgmlType.Q4_0).matmul(w, new float[64], 64, 1, new float[4], 4, 0, 4));
            assertThrows(IndexOutOfBoundsException.class, () -> Kernels.of(GgmlType.Q8_0).matmul(w, new float[64], 64, 1, new float[4], 4, 0, 5));
            assertThrows(IndexOutOfBoundsException.class, () -> Kernels.of(GgmlType.Q8_0).dequantize(w.data(), w.rowBytes(), new float[256], 0, 256));
        }
    }

    static void assertBitsEqual(float[] expected, int expectedOffset, float[] actual, int actualOffset, int n, String what) {
        for (int i = 0; i < n; i++) {
            float e = expected[expectedOffset + i];
            float a = actual[actualOffset + i];
            if (Float.floatToIntBits(e) != Float.floatToIntBits(a)) {
                fail(what + ": element " + i + " is " + a + ", expected " + e);
            }
        }
    }
}
