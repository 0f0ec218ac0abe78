package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q8_0: blocks of 32 weights in 34 bytes, {@code [fp16 d][32 x int8 q]}, weight = q * d.
 */
public final class Q8_0Kernel extends RowDotKernel {
    static final Q8_0Kernel INSTANCE = new Q8_0Kernel();
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 34;
    private static final int QS = 2;

    private Q8_0Kernel() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    /** Scalar reference, written for clarity: the tests compare the vector code against it. */
    static void dequantizeReference(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Lanes.half(w, block);
            for (int j = 0; j < BLOCK; j++) {
                byte q = w.get(ValueLayout.JAVA_BYTE, block + QS + j);
                dst[dstOffset + b * BLOCK + j] = q * d;
            }
        }
    }

    /**
     * F32 -> Q8_0, bit-exact with llama.cpp's reference quantizer (what llama-quantize uses):
     * d = amax / 127 stored as fp16 (round to nearest even), q = round-half-away-from-zero(x / d)
     * computed as x * (1 / d) in float, all-zero blocks get d = 0 and q = 0.
     * {@code n} must be a multiple of 32.
     */
    public static void quantize(float[] src, int srcOff, int n, MemorySegment dst, long dstOffset) {
        Quantizers.checkBlocks(n, BLOCK, "Q8_0");
        for (int b = 0; b < n / BLOCK; b++) {
            int x = srcOff + b * BLOCK;
            long block = dstOffset + (long) b * BLOCK_BYTES;
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(src[x + j]));
            float d = amax / 127;
            float id = d != 0 ? 1 / d : 0;
            dst.set(Lanes.SHORT_LE, block, Quantizers.toHalf(d));
            for (int j = 0; j < BLOCK; j++) {
                dst.set(ValueLayout.JAVA_BYTE, block + QS + j, (byte) Quantizers.roundHalfAway(src[x + j] * id));
            }
        }
    }

    @Override
    void dequantizeChecked(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Lanes.half(w, block);
            for (int c = 0; c < BLOCK; c += L) {
                Lanes.toFloats(Lanes.bytes(w, block + QS + c)).mul(d).intoArray(dst, dstOffset + b * BLOCK + c);
            }
        }
    }

    @Override
    float dot1(MemorySegment w, long row, int cols, float[] x, int xOffset) {
        FloatVector acc = FloatVector.zero(F);
        long block = row;
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            // Sum q * x over the block, then scale once: one fma on the loop-carried accumulator per block.
            FloatVector sum = FloatVector.zero(F);
            for (int c = 0; c < BLOCK; c += L) {
                FloatVector q = Lanes.toFloats(Lanes.bytes(w, block + QS + c));
                sum = q.fma(FloatVector.fromArray(F, x, xOffset + i + c), sum);
            }
            acc = sum.fma(FloatVector.broadcast(F, Lanes.half(w, block)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    void dot4(MemorySegment w, long row, int cols, float[] x, int x0, int x1, int x2, int x3, float[] sums) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        long block = row;
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            FloatVector sum0 = FloatVector.zero(F), sum1 = sum0, sum2 = sum0, sum3 = sum0;
            for (int c = 0; c < BLOCK; c += L) {
                FloatVector q = Lanes.toFloats(Lanes.bytes(w, block + QS + c));
                sum0 = q.fma(FloatVector.fromArray(F, x, x0 + i + c), sum0);
                sum1 = q.fma(FloatVector.fromArray(F, x, x1 + i + c), sum1);
                sum2 = q.fma(FloatVector.fromArray(F, x, x2 + i + c), sum2);
                sum3 = q.fma(FloatVector.fromArray(F, x, x3 + i + c), sum3);
            }
            FloatVector d = FloatVector.broadcast(F, Lanes.half(w, block));
            acc0 = sum0.fma(d, acc0);
            acc1 = sum1.fma(d, acc1);
            acc2 = sum2.fma(d, acc2);
            acc3 = sum3.fma(d, acc3);
        }
        sums[0] = acc0.reduceLanes(VectorOperators.ADD);
        sums[1] = acc1.reduceLanes(VectorOperators.ADD);
        sums[2] = acc2.reduceLanes(VectorOperators.ADD);
        sums[3] = acc3.reduceLanes(VectorOperators.ADD);
    }
}
