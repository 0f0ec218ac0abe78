package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.L;

import jdk.incubator.vector.FloatVector;

/**
 * The matrix-matrix product for many activation rows (prompt batches), for every weight type.
 * Work is split in blocks of weight rows; a block is dequantized once (through
 * {@link WeightKernel#dequantize}, a plain copy for F32) into a per-thread float buffer small
 * enough to stay in L2, and then every activation row of the batch is multiplied against it
 * by a register-blocked micro-kernel: 4 activation rows x 4 weight rows, 16 accumulators in
 * locals, so each vector load feeds 4 multiply-adds and the loop is bound by the FMA units,
 * not by loads. The dequantize cost is paid once per weight block and batch, not once per
 * activation row group.
 *
 * <p>For F32 the sums are formed exactly as {@link RowDotKernel}'s do (lane-wise over the row,
 * then one lane reduction, then the scalar tail), so the result is bit-identical to the
 * row-at-a-time path. For other types the products are in f32 from dequantized weights, within
 * rounding of the per-type dot products.
 */
final class Gemm {
    /** Floats of dequantized weights one block holds (256 KiB): a quarter of a core's L2. */
    private static final int BLOCK_FLOATS = 64 * 1024;
    /** Most weight rows per block; more makes too few blocks to share among threads. */
    private static final int MAX_BLOCK_ROWS = 64;

    private static final ThreadLocal<float[][]> BUFFER = ThreadLocal.withInitial(() -> new float[1][0]);

    /** Lane indices of the even and the odd lanes of two vectors laid end to end. */
    private static final FloatVector EVEN = FloatVector.fromArray(F, indices(0), 0);
    private static final FloatVector ODD = FloatVector.fromArray(F, indices(1), 0);

    static {
        if (L < 4 || L > 16) throw new IllegalStateException("unsupported vector length " + L);
    }

    private Gemm() {
    }

    private static float[] indices(int first) {
        float[] ix = new float[L];
        for (int i = 0; i < L; i++) ix[i] = 2 * i + first;
        return ix;
    }

    /** Lanes 0..L/2-1: sums of adjacent lane pairs of a; lanes L/2..L-1: the same of b. */
    static FloatVector pairSums(FloatVector a, FloatVector b) {
        return EVEN.selectFrom(a, b).add(ODD.selectFrom(a, b));
    }

    /** Weight rows per block for rows of {@code cols} elements: a multiple of 4, 4 to 64. */
    static int blockRows(int cols) {
        int r = BLOCK_FLOATS / Math.max(1, cols);
        return Math.max(4, Math.min(MAX_BLOCK_ROWS, r & ~3));
    }

    private static float[] buffer(int floats) {
        float[][] holder = BUFFER.get();
        if (holder[0].length < floats) holder[0] = new float[floats];
        return holder[0];
    }

    /**
     * Multiplies weight rows [o0, o1) of {@code w} with activation rows [0, nRows) of x into out,
     * as {@link WeightKernel#matmul} does.
     */
    static void multiply(WeightKernel kernel, WeightMatrix w, float[] x, int xStride, int nRows,
                         float[] out, int outStride, int o0, int o1) {
        int cols = w.cols();
        int nw = o1 - o0;
        float[] wb = buffer(nw * cols);
        kernel.dequantize(w.data(), o0 * w.rowBytes(), wb, 0, nw * cols);
        block(wb, cols, nw, x, xStride, nRows, out, outStride, o0);
    }

    /**
     * out[r * outStride + outCol + j] = dot(wb row j, x row r) for j < nw, r < nRows; wb holds nw
     * rows of cols floats.
     */
    static void block(float[] wb, int cols, int nw, float[] x, int xStride, int nRows,
                      float[] out, int outStride, int outCol) {
        int bound = F.loopBound(cols);
        float[] sums = new float[16];
        for (int r = 0; r < nRows; r += 4) {
            // A group of fewer than 4 rows repeats its last row: wasted multiplies, stored once.
            int last = Math.min(r + 3, nRows - 1);
            int x0 = r * xStride;
            int x1 = Math.min(r + 1, last) * xStride;
            int x2 = Math.min(r + 2, last) * xStride;
            int x3 = last * xStride;
            for (int j = 0; j < nw; j += 4) {
                int lastW = Math.min(j + 3, nw - 1);
                int w0 = j * cols;
                int w1 = Math.min(j + 1, lastW) * cols;
                int w2 = Math.min(j + 2, lastW) * cols;
                int w3 = lastW * cols;
                FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
                FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
                FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
                FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
                for (int i = 0; i < bound; i += L) {
                    FloatVector v0 = FloatVector.fromArray(F, wb, w0 + i);
                    FloatVector v1 = FloatVector.fromArray(F, wb, w1 + i);
                    FloatVector v2 = FloatVector.fromArray(F, wb, w2 + i);
                    FloatVector v3 = FloatVector.fromArray(F, wb, w3 + i);
                    FloatVector u = FloatVector.fromArray(F, x, x0 + i);
                    a00 = v0.fma(u, a00);
                    a01 = v1.fma(u, a01);
                    a02 = v2.fma(u, a02);
                    a03 = v3.fma(u, a03);
                    u = FloatVector.fromArray(F, x, x1 + i);
                    a10 = v0.fma(u, a10);
                    a11 = v1.fma(u, a11);
                    a12 = v2.fma(u, a12);
                    a13 = v3.fma(u, a13);
                    u = FloatVector.fromArray(F, x, x2 + i);
                    a20 = v0.fma(u, a20);
                    a21 = v1.fma(u, a21);
                    a22 = v2.fma(u, a22);
                    a23 = v3.fma(u, a23);
                    u = FloatVector.fromArray(F, x, x3 + i);
                    a30 = v0.fma(u, a30);
                    a31 = v1.fma(u, a31);
                    a32 = v2.fma(u, a32);
                    a33 = v3.fma(u, a33);
                }
                int o = outCol + j;
                int nj = lastW - j + 1;
                int ni = last - r + 1;
                // Horizontal sums of all 16 accumulators at once: each pairing step halves the lanes
                // per sum (one two-vector permute for the even and one for the odd lanes, one add),
                // leaving the sums row-major ([row][weight row]) in L-lane vectors.
                FloatVector b0 = pairSums(a00, a01), b1 = pairSums(a02, a03);
                FloatVector b2 = pairSums(a10, a11), b3 = pairSums(a12, a13);
                FloatVector b4 = pairSums(a20, a21), b5 = pairSums(a22, a23);
                FloatVector b6 = pairSums(a30, a31), b7 = pairSums(a32, a33);
                FloatVector c0 = pairSums(b0, b1), c1 = pairSums(b2, b3), c2 = pairSums(b4, b5), c3 = pairSums(b6, b7);
                if (L == 4) {
                    c0.intoArray(sums, 0);
                    c1.intoArray(sums, 4);
                    c2.intoArray(sums, 8);
                    c3.intoArray(sums, 12);
                } else {
                    FloatVector d0 = pairSums(c0, c1), d1 = pairSums(c2, c3);
                    if (L == 8) {
                        d0.intoArray(sums, 0);
                        d1.intoArray(sums, 8);
                    } else {
                        pairSums(d0, d1).intoArray(sums, 0);
                    }
                }
                store(out, r * outStride + o, nj, bound, cols, wb, w0, w1, w2, w3, x, x0, sums, 0);
                if (ni > 1) store(out, (r + 1) * outStride + o, nj, bound, cols, wb, w0, w1, w2, w3, x, x1, sums, 4);
                if (ni > 2) store(out, (r + 2) * outStride + o, nj, bound, cols, wb, w0, w1, w2, w3, x, x2, sums, 8);
                if (ni > 3) store(out, (r + 3) * outStride + o, nj, bound, cols, wb, w0, w1, w2, w3, x, x3, sums, 12);
            }
        }
    }

    /** Adds to one activation row's four sums the scalar tail, stores the first nj. */
    private static void store(float[] out, int at, int nj, int bound, int cols, float[] wb, int w0, int w1, int w2, int w3,
                              float[] x, int xo, float[] sums, int so) {
        float s0 = sums[so], s1 = sums[so + 1], s2 = sums[so + 2], s3 = sums[so + 3];
        for (int i = bound; i < cols; i++) {
            float xv = x[xo + i];
            s0 += wb[w0 + i] * xv;
            s1 += wb[w1 + i] * xv;
            s2 += wb[w2 + i] * xv;
            s3 += wb[w3 + i] * xv;
        }
        out[at] = s0;
        if (nj > 1) out[at + 1] = s1;
        if (nj > 2) out[at + 2] = s2;
        if (nj > 3) out[at + 3] = s3;
    }
}
