package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.L;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;

/**
 * The matrix-matrix product for many activation rows (prompt batches), for every weight type.
 * Work is split in blocks of weight rows; a block is dequantized once (through
 * {@link WeightKernel#dequantize}, a plain copy for F32) and transposed into a per-thread float
 * buffer small enough to stay in L2, so that a vector holds L output columns. Every activation
 * row of the batch is then multiplied against it by a register-blocked micro-kernel: 4
 * activation rows x 2 vectors of outputs, 8 accumulators in locals, each weight vector load
 * feeding 4 multiply-adds and no horizontal sums at all (a 4x4 tile of dot products, reduced
 * across lanes at the end, spent as long on the reduction as on the products for rows of 256).
 * The dequantize and transpose cost is paid once per weight block and batch, which is why the
 * path starts at 32 rows (MatMul.GEMM_MIN_ROWS).
 *
 * <p>Each output is summed in column order, as a scalar loop would, so results differ from the
 * row-at-a-time kernels' (lane-wise, then reduced) by rounding.
 */
final class Gemm {
    /**
     * Floats of transposed weights a block aims at (256 KiB, a quarter of a core's L2). Blocks
     * have at least 2L rows, so rows longer than BLOCK_FLOATS / 2L floats make larger blocks.
     */
    private static final int BLOCK_FLOATS = 64 * 1024;
    /** Most weight rows per block; more makes too few blocks to share among threads. */
    private static final int MAX_BLOCK_ROWS = 64;

    /** Per thread: one dequantized weight row, and a block of rows transposed. */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[2][0]);
    private static final int ROW = 0, COLUMNS = 1;

    private Gemm() {
    }

    /**
     * Weight rows per block for rows of {@code cols} elements: a multiple of 2L (whole tiles of
     * two output vectors; a lone vector feeds 4 multiply-adds per 5 loads), 2L to 64.
     */
    static int blockRows(int cols) {
        int r = BLOCK_FLOATS / Math.max(1, cols);
        return Math.max(2 * L, Math.min(MAX_BLOCK_ROWS, r / (2 * L) * (2 * L)));
    }

    private static float[] buffer(int which, int floats) {
        float[][] holder = BUFFERS.get();
        if (holder[which].length < floats) holder[which] = new float[floats];
        return holder[which];
    }

    /**
     * Multiplies weight rows [o0, o1) of {@code w} with activation rows [0, nRows) of x into out,
     * as {@link WeightKernel#matmul} does.
     */
    static void multiply(WeightKernel kernel, WeightMatrix w, float[] x, int xStride, int nRows,
                         float[] out, int outStride, int o0, int o1) {
        int cols = w.cols();
        int nw = o1 - o0;
        int nwp = (nw + L - 1) / L * L;
        float[] row = buffer(ROW, cols);
        float[] wt = buffer(COLUMNS, cols * nwp);
        int[] down = new int[L];
        for (int l = 0; l < L; l++) down[l] = l * nwp;
        int bound = F.loopBound(cols);
        // Row by row, dequantized into a buffer that stays in L1, then scattered down a column of
        // wt: wt[i * nwp + j] = weight (o0 + j, i).
        for (int j = 0; j < nw; j++) {
            kernel.dequantize(w.data(), (o0 + j) * w.rowBytes(), row, 0, cols);
            int i = 0;
            for (; i < bound; i += L) FloatVector.fromArray(F, row, i).intoArray(wt, i * nwp + j, down, 0);
            for (; i < cols; i++) wt[i * nwp + j] = row[i];
        }
        if (nw < nwp) { // padding columns: zero weights, their outputs are not stored
            for (int i = 0; i < cols; i++) Arrays.fill(wt, i * nwp + nw, (i + 1) * nwp, 0f);
        }
        block(wt, nwp, nw, cols, x, xStride, nRows, out, outStride, o0);
    }

    /**
     * out[r * outStride + outCol + j] = sum over i of wt[i * nwp + j] * x[r * xStride + i], for
     * j < nw, r < nRows: the weights transposed, so that a vector holds L output columns and the
     * sums need no horizontal reduction. 4 activation rows x 2 vectors of outputs per tile: each
     * step loads two weight vectors and broadcasts four activations into 8 multiply-adds.
     */
    static void block(float[] wt, int nwp, int nw, int cols, float[] x, int xStride, int nRows,
                      float[] out, int outStride, int outCol) {
        for (int r = 0; r < nRows; r += 4) {
            // A group of fewer than 4 rows repeats its last row: wasted multiplies, stored once.
            int last = Math.min(r + 3, nRows - 1);
            int ni = last - r + 1;
            int x0 = r * xStride;
            int x1 = Math.min(r + 1, last) * xStride;
            int x2 = Math.min(r + 2, last) * xStride;
            int x3 = last * xStride;
            int o = 0;
            for (; o + 2 * L <= nwp; o += 2 * L) {
                FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00;
                FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
                for (int i = 0, wi = o; i < cols; i++, wi += nwp) {
                    FloatVector w0 = FloatVector.fromArray(F, wt, wi), w1 = FloatVector.fromArray(F, wt, wi + L);
                    FloatVector b = FloatVector.broadcast(F, x[x0 + i]);
                    a00 = w0.fma(b, a00);
                    a01 = w1.fma(b, a01);
                    b = FloatVector.broadcast(F, x[x1 + i]);
                    a10 = w0.fma(b, a10);
                    a11 = w1.fma(b, a11);
                    b = FloatVector.broadcast(F, x[x2 + i]);
                    a20 = w0.fma(b, a20);
                    a21 = w1.fma(b, a21);
                    b = FloatVector.broadcast(F, x[x3 + i]);
                    a30 = w0.fma(b, a30);
                    a31 = w1.fma(b, a31);
                }
                int at = r * outStride + outCol + o;
                store(out, at, o, nw, a00);
                store(out, at + L, o + L, nw, a01);
                if (ni > 1) {
                    store(out, at + outStride, o, nw, a10);
                    store(out, at + outStride + L, o + L, nw, a11);
                }
                if (ni > 2) {
                    store(out, at + 2 * outStride, o, nw, a20);
                    store(out, at + 2 * outStride + L, o + L, nw, a21);
                }
                if (ni > 3) {
                    store(out, at + 3 * outStride, o, nw, a30);
                    store(out, at + 3 * outStride + L, o + L, nw, a31);
                }
            }
            if (o < nwp) { // one vector of outputs left
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int i = 0, wi = o; i < cols; i++, wi += nwp) {
                    FloatVector w0 = FloatVector.fromArray(F, wt, wi);
                    a0 = w0.fma(FloatVector.broadcast(F, x[x0 + i]), a0);
                    a1 = w0.fma(FloatVector.broadcast(F, x[x1 + i]), a1);
                    a2 = w0.fma(FloatVector.broadcast(F, x[x2 + i]), a2);
                    a3 = w0.fma(FloatVector.broadcast(F, x[x3 + i]), a3);
                }
                int at = r * outStride + outCol + o;
                store(out, at, o, nw, a0);
                if (ni > 1) store(out, at + outStride, o, nw, a1);
                if (ni > 2) store(out, at + 2 * outStride, o, nw, a2);
                if (ni > 3) store(out, at + 3 * outStride, o, nw, a3);
            }
        }
    }

    /** Stores the lanes of outputs [o, o + L) that are below nw (the rest are padding). */
    private static void store(float[] out, int at, int o, int nw, FloatVector v) {
        if (o + L <= nw) {
            v.intoArray(out, at);
        } else if (o < nw) {
            v.intoArray(out, at, F.indexInRange(o, nw));
        }
    }
}
