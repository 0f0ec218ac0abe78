package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_1: blocks of 32 weights in 20 bytes, {@code [fp16 d][fp16 m][16 bytes of nibbles]}. Byte j
 * holds element j in its low nibble and element j + 16 in its high nibble; weight = nibble * d + m.
 */
public final class Q4_1Kernel extends RowDotKernel {
    static final Q4_1Kernel INSTANCE = new Q4_1Kernel();
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 20;
    private static final int M = 2;
    private static final int QS = 4;

    private Q4_1Kernel() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_1;
    }

    /** Scalar reference, written for clarity: the tests compare the vector code against it. */
    static void dequantizeReference(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Lanes.half(w, block);
            float m = Lanes.half(w, block + M);
            for (int j = 0; j < 16; j++) {
                int q = w.get(ValueLayout.JAVA_BYTE, block + QS + j) & 0xFF;
                dst[dstOffset + b * BLOCK + j] = (q & 0x0F) * d + m;
                dst[dstOffset + b * BLOCK + j + 16] = (q >>> 4) * d + m;
            }
        }
    }

    private static FloatVector low(ByteVector qs) {
        return Lanes.toFloats(qs.and((byte) 0x0F));
    }

    private static FloatVector high(ByteVector qs) {
        return Lanes.toFloats(qs.lanewise(VectorOperators.LSHR, 4));
    }

    @Override
    void dequantizeChecked(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Lanes.half(w, block);
            float m = Lanes.half(w, block + M);
            int out = dstOffset + b * BLOCK;
            for (int c = 0; c < 16; c += L) {
                ByteVector qs = Lanes.bytes(w, block + QS + c);
                // mul then add, not fma: bit-exact with the reference's two roundings
                low(qs).mul(d).add(m).intoArray(dst, out + c);
                high(qs).mul(d).add(m).intoArray(dst, out + 16 + c);
            }
        }
    }

    @Override
    float dot1(MemorySegment w, long row, int cols, float[] x, int xOffset) {
        FloatVector acc = FloatVector.zero(F);
        long block = row;
        for (int i = xOffset; i < xOffset + cols; i += BLOCK, block += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(F, Lanes.half(w, block));
            FloatVector m = FloatVector.broadcast(F, Lanes.half(w, block + M));
            // The offset m makes scaling after the sum awkward, so scale the weights: nibble * d + m.
            FloatVector sum = FloatVector.zero(F);
            for (int c = 0; c < 16; c += L) {
                ByteVector qs = Lanes.bytes(w, block + QS + c);
                sum = low(qs).fma(d, m).fma(FloatVector.fromArray(F, x, i + c), sum);
                sum = high(qs).fma(d, m).fma(FloatVector.fromArray(F, x, i + 16 + c), sum);
            }
            acc = acc.add(sum);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    void dot4(MemorySegment w, long row, int cols, float[] x, int x0, int x1, int x2, int x3, float[] sums) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        long block = row;
        for (int i = 0; i < cols; i += BLOCK, block += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(F, Lanes.half(w, block));
            FloatVector m = FloatVector.broadcast(F, Lanes.half(w, block + M));
            FloatVector sum0 = FloatVector.zero(F), sum1 = sum0, sum2 = sum0, sum3 = sum0;
            for (int c = 0; c < 16; c += L) {
                ByteVector qs = Lanes.bytes(w, block + QS + c);
                FloatVector lo = low(qs).fma(d, m);
                FloatVector hi = high(qs).fma(d, m);
                int j = i + c;
                sum0 = lo.fma(FloatVector.fromArray(F, x, x0 + j), sum0);
                sum1 = lo.fma(FloatVector.fromArray(F, x, x1 + j), sum1);
                sum2 = lo.fma(FloatVector.fromArray(F, x, x2 + j), sum2);
                sum3 = lo.fma(FloatVector.fromArray(F, x, x3 + j), sum3);
                sum0 = hi.fma(FloatVector.fromArray(F, x, x0 + j + 16), sum0);
                sum1 = hi.fma(FloatVector.fromArray(F, x, x1 + j + 16), sum1);
                sum2 = hi.fma(FloatVector.fromArray(F, x, x2 + j + 16), sum2);
                sum3 = hi.fma(FloatVector.fromArray(F, x, x3 + j + 16), sum3);
            }
            acc0 = acc0.add(sum0);
            acc1 = acc1.add(sum1);
            acc2 = acc2.add(sum2);
            acc3 = acc3.add(sum3);
        }
        sums[0] = acc0.reduceLanes(VectorOperators.ADD);
        sums[1] = acc1.reduceLanes(VectorOperators.ADD);
        sums[2] = acc2.reduceLanes(VectorOperators.ADD);
        sums[3] = acc3.reduceLanes(VectorOperators.ADD);
    }
}
