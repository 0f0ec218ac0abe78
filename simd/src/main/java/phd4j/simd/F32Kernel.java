package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.FLOAT_LE;
import static phd4j.simd.Lanes.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * F32: little-endian floats; rows can have any length, the part past the last whole vector runs scalar.
 */
public final class F32Kernel extends RowDotKernel {
    static final F32Kernel INSTANCE = new F32Kernel();
    private static final int BYTES = 4;

    private F32Kernel() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    /** Scalar reference, written for clarity: the tests compare the vector code against it. */
    static void dequantizeReference(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int j = 0; j < n; j++) {
            dst[dstOffset + j] = w.get(FLOAT_LE, byteOffset + (long) j * BYTES);
        }
    }

    private static FloatVector load(MemorySegment w, long offset) {
        return FloatVector.fromMemorySegment(F, w, offset, ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    void dequantizeChecked(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        // Nothing to convert: a bulk copy is the fastest vector code there is.
        MemorySegment.copy(w, FLOAT_LE, byteOffset, dst, dstOffset, n);
    }

    @Override
    float dot1(MemorySegment w, long row, int cols, float[] x, int xOffset) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < F.loopBound(cols); i += L) {
            acc = load(w, row + (long) i * BYTES).fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            sum += w.get(FLOAT_LE, row + (long) i * BYTES) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    void dot4(MemorySegment w, long row, int cols, float[] x, int x0, int x1, int x2, int x3, float[] sums) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int i = 0;
        for (; i < F.loopBound(cols); i += L) {
            FloatVector v = load(w, row + (long) i * BYTES);
            acc0 = v.fma(FloatVector.fromArray(F, x, x0 + i), acc0);
            acc1 = v.fma(FloatVector.fromArray(F, x, x1 + i), acc1);
            acc2 = v.fma(FloatVector.fromArray(F, x, x2 + i), acc2);
            acc3 = v.fma(FloatVector.fromArray(F, x, x3 + i), acc3);
        }
        float sum0 = acc0.reduceLanes(VectorOperators.ADD);
        float sum1 = acc1.reduceLanes(VectorOperators.ADD);
        float sum2 = acc2.reduceLanes(VectorOperators.ADD);
        float sum3 = acc3.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            float v = w.get(FLOAT_LE, row + (long) i * BYTES);
            sum0 += v * x[x0 + i];
            sum1 += v * x[x1 + i];
            sum2 += v * x[x2 + i];
            sum3 += v * x[x3 + i];
        }
        sums[0] = sum0;
        sums[1] = sum1;
        sums[2] = sum2;
        sums[3] = sum3;
    }
}
