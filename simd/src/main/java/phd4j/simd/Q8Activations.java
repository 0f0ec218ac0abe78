package phd4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Activation rows quantized to 8 bits per 32-element block, the other operand of
 * {@link Interleaved}'s integer products (llama.cpp quantizes activations the same way for its
 * quantized dot products, as block_q8_0): per block {@code d = max |x| / 127} and
 * {@code q = round(x / d)} in [-127, 127], kept as shorts, the width the products are taken in.
 * The scale stays an f32 (llama.cpp rounds it to fp16), so the rounding of x is the only loss.
 *
 * <p>One instance per calling thread is reused from call to call ({@link #forThread}); the
 * workers of a product read it while the caller waits, so it is never written concurrently.
 */
final class Q8Activations {
    static final int BLOCK = 32;
    private static final ThreadLocal<Q8Activations> PER_THREAD = ThreadLocal.withInitial(Q8Activations::new);

    /** [rows][cols] quantized values. */
    short[] q = new short[0];
    /** [rows][cols / 32] block scales d. */
    float[] d = new float[0];
    /** [rows][cols / 32] 8 * (sum of the block's q), wrapped to 16 bits as the products are. */
    short[] eightSum = new short[0];
    /** [rows][cols / 32] d * (sum of the block's q): the block's activation sum, as the mins need it. */
    float[] dSum = new float[0];
    int cols;
    int blocks;

    private Q8Activations() {
    }

    static Q8Activations forThread() {
        return PER_THREAD.get();
    }

    /** Quantizes rows [0, nRows) of x (row r at x[r * xStride], {@code cols} a multiple of 32). */
    Q8Activations quantize(float[] x, int xStride, int nRows, int cols) {
        this.cols = cols;
        this.blocks = cols / BLOCK;
        int nBlocks = nRows * blocks;
        if (q.length < nRows * cols) q = new short[nRows * cols];
        if (d.length < nBlocks) {
            d = new float[nBlocks];
            eightSum = new short[nBlocks];
            dSum = new float[nBlocks];
        }
        for (int r = 0; r < nRows; r++) {
            for (int b = 0; b < blocks; b++) {
                quantizeBlock(x, r * xStride + b * BLOCK, r * cols + b * BLOCK, r * blocks + b);
            }
        }
        return this;
    }

    /**
     * The rounding of a scaled activation, as the vector code does it: |v| + 0.5f truncated, with
     * v's sign. That is C's roundf (halves away from zero, as llama.cpp), except that a |v| just
     * below one half can round up, where the float sum rounds to the next integer.
     */
    static int round(float v) {
        int magnitude = (int) (Math.abs(v) + 0.5f);
        return v < 0 ? -magnitude : magnitude;
    }

    /** The block at x[from], into q[to] and the block fields at index i. */
    private void quantizeBlock(float[] x, int from, int to, int i) {
        FloatVector max = FloatVector.zero(Lanes.F);
        for (int c = 0; c < BLOCK; c += Lanes.L) {
            max = max.max(FloatVector.fromArray(Lanes.F, x, from + c).abs());
        }
        float amax = max.reduceLanes(VectorOperators.MAX);
        float scale = amax / 127;
        float inverse = scale != 0 ? 1 / scale : 0;
        IntVector sum = IntVector.zero(Lanes.I);
        for (int c = 0; c < BLOCK; c += Lanes.L) {
            FloatVector v = FloatVector.fromArray(Lanes.F, x, from + c).mul(inverse);
            // as round(): truncate |v| + 0.5, then restore the sign
            IntVector magnitude = (IntVector) v.abs().add(0.5f).convert(VectorOperators.F2I, 0);
            IntVector rounded = magnitude.blend(magnitude.neg(), v.compare(VectorOperators.LT, 0f).cast(Lanes.I));
            sum = sum.add(rounded);
            ((ShortVector) rounded.convertShape(VectorOperators.I2S, Lanes.S, 0)).intoArray(q, to + c);
        }
        int total = sum.reduceLanes(VectorOperators.ADD);
        d[i] = scale;
        eightSum[i] = (short) (8 * total);
        dSum[i] = scale * total;
    }
}
