package phd4j.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random-block tests shared by the K-quant kernels: vector dequantize equals the scalar
 * reference bit for bit, and matmul agrees with reference dequantization plus a double dot.
 * The hand-built blocks that pin each layout are in the per-type tests.
 */
class KQuantKernelTest {

    /**
     * Matmul tolerance, relative to sum |w * x| of the dot product. Float accumulation of
     * cols / lanes terms per lane plus the lane reduction stays below (cols / 4 + 4) * 2^-24 of
     * that sum even with 4 lanes, about 2.7e-5 for 1792 columns; a layout or indexing error is
     * off by order 1.
     */
    static final double MATMUL_TOLERANCE = 3e-5;

    interface Reference {
        void dequantize(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n);
    }

    static Stream<Arguments> kernels() {
        return Stream.of(
                Arguments.of(Q4KKernel.INSTANCE, (Reference) Q4KKernel::dequantizeReference, new int[] {0, 2}),
                Arguments.of(Q5KKernel.INSTANCE, (Reference) Q5KKernel::dequantizeReference, new int[] {0, 2}),
                Arguments.of(Q6KKernel.INSTANCE, (Reference) Q6KKernel::dequantizeReference, new int[] {208}));
    }

    /** Random bytes, with the fp16 scale fields at {@code halfOffsets} of each block set to sane finite values. */
    static MemorySegment randomBlocks(GgmlType type, long blocks, int[] halfOffsets, Random random) {
        byte[] bytes = new byte[Math.toIntExact(blocks * type.blockBytes)];
        random.nextBytes(bytes);
        MemorySegment w = MemorySegment.ofArray(bytes);
        var half = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long b = 0; b < blocks; b++) {
            for (int field : halfOffsets) {
                float magnitude = (float) Math.pow(2, -12 + 10 * random.nextDouble());
                float value = random.nextBoolean() ? magnitude : -magnitude;
                w.set(half, b * type.blockBytes + field, Float.floatToFloat16(value));
            }
        }
        return w;
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void vectorDequantizeEqualsReferenceExactly(WeightKernel kernel, Reference reference, int[] halfOffsets) {
        Random random = new Random(1);
        for (int superBlocks : new int[] {1, 3, 7, 40}) {
            int n = superBlocks * KQuants.SUPER_BLOCK;
            MemorySegment w = randomBlocks(kernel.type(), superBlocks + 1, halfOffsets, random);
            long byteOffset = kernel.type().blockBytes; // start past the first block: offsets must be honoured
            float[] expected = new float[n + 5];
            float[] actual = new float[n + 5];
            reference.dequantize(w, byteOffset, expected, 5, n);
            kernel.dequantize(w, byteOffset, actual, 5, n);
            assertArrayEquals(expected, actual, kernel.type() + " x " + superBlocks);
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void matmulMatchesReferenceDot(WeightKernel kernel, Reference reference, int[] halfOffsets) {
        Random random = new Random(2);
        for (int cols : new int[] {256, 768, 1792}) {
            for (int rows : new int[] {1, 5, 33}) {
                WeightMatrix w = new WeightMatrix(kernel.type(),
                        randomBlocks(kernel.type(), (long) rows * cols / 256, halfOffsets, random), rows, cols);
                float[] dense = new float[rows * cols];
                reference.dequantize(w.data(), 0, dense, 0, rows * cols);
                for (int nRows = 1; nRows <= 17; nRows++) {
                    checkMatmul(kernel, w, dense, nRows, random);
                }
            }
        }
    }

    /** One matmul over a sub-range of rows, with strides wider than the rows, against double dots. */
    private static void checkMatmul(WeightKernel kernel, WeightMatrix w, float[] dense, int nRows, Random random) {
        int cols = w.cols();
        int xStride = cols + 3;
        int outStride = w.rows() + 2;
        float[] x = new float[(nRows - 1) * xStride + cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        int rowStart = w.rows() > 2 ? 1 : 0;
        int rowEnd = w.rows();
        float[] out = new float[(nRows - 1) * outStride + w.rows()];
        java.util.Arrays.fill(out, Float.NaN);
        kernel.matmul(w, x, xStride, nRows, out, outStride, rowStart, rowEnd);
        for (int r = 0; r < nRows; r++) {
            for (int o = 0; o < w.rows(); o++) {
                float got = out[r * outStride + o];
                if (o < rowStart) {
                    assertTrue(Float.isNaN(got), "row " + o + " is outside the range and must stay untouched");
                    continue;
                }
                double exact = 0;
                double magnitude = 0;
                for (int c = 0; c < cols; c++) {
                    double product = (double) dense[o * cols + c] * x[r * xStride + c];
                    exact += product;
                    magnitude += Math.abs(product);
                }
                String where = kernel.type() + " " + w.rows() + "x" + cols + " nRows " + nRows + " r " + r + " o " + o;
                assertEquals(exact, got, MATMUL_TOLERANCE * magnitude, where);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void rejectsBadArguments(WeightKernel kernel, Reference reference, int[] halfOffsets) {
        MemorySegment w = randomBlocks(kernel.type(), 2, halfOffsets, new Random(3));
        float[] dst = new float[512];
        assertThrows(IllegalArgumentException.class, () -> kernel.dequantize(w, 0, dst, 0, 100));
        assertThrows(IndexOutOfBoundsException.class, () -> kernel.dequantize(w, 1, dst, 0, 512));
        assertThrows(IndexOutOfBoundsException.class, () -> kernel.dequantize(w, 0, dst, 1, 512));
        WeightMatrix m = new WeightMatrix(kernel.type(), w, 2, 256);
        assertThrows(IndexOutOfBoundsException.class, () -> kernel.matmul(m, new float[255], 256, 1, new float[2], 2, 0, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> kernel.matmul(m, new float[256], 256, 1, new float[1], 2, 0, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> kernel.matmul(m, new float[256], 256, 1, new float[3], 2, 0, 3));
    }
}
