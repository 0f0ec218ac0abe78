package phd4j.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class InterleavedTest {
    private static final int[] ROWS = {1, 5, 33, 70};
    private static final int[] N_ROWS = {1, 2, 3, 4, 5, 8, 9};

    private static int[] colsFor(GgmlType type) {
        return type.blockSize == 256 ? new int[] {256, 768} : new int[] {32, 96, 224, 4128};
    }

    private static WeightMatrix random(Arena arena, GgmlType type, int rows, int cols, Random rnd) {
        return switch (type) {
            case Q4_K, Q5_K -> new WeightMatrix(type, KQuantKernelTest.randomBlocks(type, (long) rows * cols / 256, new int[] {0, 2}, rnd), rows, cols);
            case Q6_K -> new WeightMatrix(type, KQuantKernelTest.randomBlocks(type, (long) rows * cols / 256, new int[] {208}, rnd), rows, cols);
            default -> TestWeights.random(arena, type, rows, cols, rnd);
        };
    }

    /** The original matrix dequantized, [rows][cols], from the same block codes the copy is made of. */
    private static float[] dequantized(WeightMatrix w) {
        byte[] codes = new byte[32];
        float[] scales = new float[2], mins = new float[2];
        float[] m = new float[w.rows() * w.cols()];
        for (int o = 0; o < w.rows(); o++) {
            for (int b = 0; b < w.cols() / 32; b++) {
                Interleaved.blockCodes(w.type(), Interleaved.rowBytes(w, o), b, codes, scales, mins);
                for (int i = 0; i < 32; i++) m[o * w.cols() + 32 * b + i] = scales[i / 16] * codes[i] - mins[i / 16];
            }
        }
        return m;
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q4_1", "Q4_K", "Q5_0", "Q5_1", "Q5_K", "Q6_K"})
    void blockCodesDequantizeAsTheTypesOwnReference(GgmlType type) {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix w = random(arena, type, 3, colsFor(type)[1], rnd);
            float[] expected = new float[w.rows() * w.cols()];
            for (int o = 0; o < w.rows(); o++) {
                Kernels.of(type).dequantize(w.data(), o * w.rowBytes(), expected, o * w.cols(), w.cols());
            }
            float[] got = dequantized(w);
            for (int i = 0; i < got.length; i++) {
                // s * code - m in f32 against the type's own formula: one rounding apart at most
                assertEquals(expected[i], got[i], 1e-6 * (Math.abs(expected[i]) + Math.abs(got[i])) + 1e-30, type + " element " + i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q4_1", "Q4_K", "Q5_0", "Q5_1", "Q5_K", "Q6_K"})
    void multiplyMatchesTheScalarReferenceOnEveryTile(GgmlType type) {
        Random rnd = new Random(10 + type.id);
        try (Arena arena = Arena.ofShared(); WorkerPool one = new WorkerPool(1)) {
            for (int cols : colsFor(type)) {
                for (int rows : ROWS) {
                    WeightMatrix w = random(arena, type, rows, cols, rnd).withInterleaved(arena, one);
                    float[] dense = dequantized(w);
                    for (int nRows : N_ROWS) {
                        float[] x = TestWeights.randomFloats(nRows * cols, rnd);
                        float[] got = new float[nRows * rows];
                        MatMul.multiply(one, w, x, nRows, got);
                        for (int r = 0; r < nRows; r++) {
                            for (int o = 0; o < rows; o++) {
                                double magnitude = TestWeights.absDot(dense, o * cols, x, r * cols, cols);
                                String where = type + " " + rows + "x" + cols + " nRows " + nRows + " r" + r + " o" + o;
                                assertEquals(Interleaved.dotReference(w, o, x, r * cols), got[r * rows + o], 1e-5 * magnitude + 1e-30, where);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The only loss against the exact product is the 8-bit rounding of the activations: at most
     * half a step d of each block, so |error| <= sum over blocks of d / 2 * sum |w|.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q4_1", "Q4_K", "Q5_0", "Q5_1", "Q5_K", "Q6_K"})
    void errorAgainstTheExactProductIsBoundedByTheActivationRounding(GgmlType type) {
        Random rnd = new Random(20 + type.id);
        int cols = colsFor(type)[1], rows = 33;
        try (Arena arena = Arena.ofShared(); WorkerPool one = new WorkerPool(1)) {
            WeightMatrix w = random(arena, type, rows, cols, rnd).withInterleaved(arena, one);
            float[] dense = dequantized(w);
            float[] x = TestWeights.randomFloats(cols, rnd);
            float[] got = new float[rows];
            MatMul.multiply(one, w, x, 1, got);
            for (int o = 0; o < rows; o++) {
                double exact = 0, bound = 0, magnitude = 0;
                for (int b = 0; b < cols / 32; b++) {
                    double amax = 0, weights = 0;
                    for (int i = 32 * b; i < 32 * b + 32; i++) {
                        exact += (double) dense[o * cols + i] * x[i];
                        magnitude += Math.abs((double) dense[o * cols + i] * x[i]);
                        amax = Math.max(amax, Math.abs(x[i]));
                        weights += Math.abs(dense[o * cols + i]);
                    }
                    bound += amax / 127 / 2 * weights;
                }
                assertEquals(exact, got[o], bound + 1e-5 * magnitude, type + " row " + o);
                assertTrue(bound < 0.02 * magnitude, "the bound itself is tight enough to catch a wrong weight");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q4_1", "Q4_K", "Q5_0", "Q5_1", "Q5_K", "Q6_K"})
    void resultsDoNotDependOnTheThreadCount(GgmlType type) {
        Random rnd = new Random(30 + type.id);
        int cols = colsFor(type)[1];
        try (Arena arena = Arena.ofShared(); WorkerPool one = new WorkerPool(1); WorkerPool two = new WorkerPool(2)) {
            for (int rows : new int[] {70, 300}) {
                WeightMatrix alone = random(arena, type, rows, cols, rnd).withInterleaved(arena, one);
                WeightMatrix split = new WeightMatrix(type, alone.data(), rows, cols).withInterleaved(arena, two);
                for (int nRows : N_ROWS) {
                    float[] x = TestWeights.randomFloats(nRows * cols, rnd);
                    float[] a = new float[nRows * rows], b = new float[nRows * rows];
                    MatMul.multiply(one, alone, x, nRows, a);
                    MatMul.multiply(two, split, x, nRows, b);
                    // no reduction across lanes and fused multiply-adds only: bit for bit
                    assertArrayEquals(a, b, type + " " + rows + " rows, nRows " + nRows);
                }
            }
        }
    }

    @Test
    void otherTypesKeepTheirMatrix() {
        try (Arena arena = Arena.ofShared(); WorkerPool one = new WorkerPool(1)) {
            WeightMatrix w = TestWeights.random(arena, GgmlType.Q8_0, 4, 64, new Random(1));
            assertSame(w, w.withInterleaved(arena, one));
            assertEquals(0, w.interleavedBytes());
        }
    }

    /** What the copies cost, per 32 weights against the file's bytes (whole row groups: 64 rows at every width). */
    @Test
    void copiesCostTheirDocumentedBytes() {
        int rows = 64, cols = 512;
        long blocks = (long) rows * cols / 32;
        assertEquals(blocks * 19, Interleaved.bytesFor(GgmlType.Q4_K, rows, cols), "Q4_K: 19 bytes per 32 weights (the file: 18)");
        assertEquals(blocks * 20, Interleaved.bytesFor(GgmlType.Q4_0, rows, cols), "Q4_0: 20 (18)");
        assertEquals(blocks * 24, Interleaved.bytesFor(GgmlType.Q4_1, rows, cols), "Q4_1: 24 (20)");
        assertEquals(blocks * 69 / 2, Interleaved.bytesFor(GgmlType.Q6_K, rows, cols), "Q6_K: 34.5 (26.25)");
        assertEquals(blocks * 36, Interleaved.bytesFor(GgmlType.Q5_0, rows, cols), "Q5_0: 36 (22)");
        assertEquals(blocks * 40, Interleaved.bytesFor(GgmlType.Q5_K, rows, cols), "Q5_K: 40 (22)");
        try (Arena arena = Arena.ofShared(); WorkerPool one = new WorkerPool(1)) {
            WeightMatrix w = random(arena, GgmlType.Q4_K, rows, cols, new Random(2)).withInterleaved(arena, one);
            assertEquals(blocks * 19, w.interleavedBytes());
        }
    }
}
