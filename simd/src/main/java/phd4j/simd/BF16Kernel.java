package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.SHORT_LE;
import static phd4j.simd.Lanes.L;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * BF16: little-endian bfloat16, the upper 16 bits of an f32; rows can have any length, the part
 * past the last whole vector runs scalar. Which loop a product of nRows activation rows runs:
 * <pre>
 *   nRows   weight rows at once   loop
 *   1..31   2, in groups of 4     dotRows2 -> pair
 *   any     the row left over     dot1, once per activation row
 * </pre>
 */
public final class BF16Kernel extends RowDotKernel {
    static final BF16Kernel INSTANCE = new BF16Kernel();
    private static final int BYTES = 2;

    private BF16Kernel() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.BF16;
    }

    /** Scalar reference, written for clarity: the tests compare the vector code against it. */
    static void dequantizeReference(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int j = 0; j < n; j++) {
            dst[dstOffset + j] = Float.intBitsToFloat(w.get(SHORT_LE, byteOffset + (long) j * BYTES) << 16);
        }
    }

    /** F32 -> BF16, as ggml's reference converter: round to nearest even; NaN keeps its top bits, forced quiet. */
    static void quantize(float[] src, int srcOff, int n, MemorySegment dst, long dstOffset) {
        for (int j = 0; j < n; j++) dst.set(SHORT_LE, dstOffset + (long) j * BYTES, toBf16(src[srcOff + j]));
    }

    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x40);
        // adding 0x7fff plus the lowest kept bit rounds to nearest, ties to even; a carry may reach infinity, as it should
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    private static FloatVector load(MemorySegment w, long offset) {
        return Lanes.bfloats(w, offset);
    }

    private static float scalar(MemorySegment w, long offset) {
        return Float.intBitsToFloat(w.get(SHORT_LE, offset) << 16);
    }

    @Override
    void dequantizeChecked(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        int j = 0;
        for (; j < F.loopBound(n); j += L) {
            load(w, byteOffset + (long) j * BYTES).intoArray(dst, dstOffset + j);
        }
        for (; j < n; j++) {
            dst[dstOffset + j] = scalar(w, byteOffset + (long) j * BYTES);
        }
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
            sum += scalar(w, row + (long) i * BYTES) * x[xOffset + i];
        }
        return sum;
    }

    /*
     * Several activation rows (PHD decode, K = 2..4): exact row counts (the default repeats a row
     * to fill a group of four, doubling the work at K = 2), two weight rows at a time so that each
     * activation vector is loaded once for both. As F32Kernel's, with this type's load: a shared
     * method taking the format as an argument ran at 60 % of the F32 kernel's speed.
     */

    /** Pairs for one activation row too: 2048 x 2048, one thread, 29-32 -> 40-51 GFLOP/s (F32 and F16 gain nothing there). */
    @Override
    int weightStreams(int nRows, int cols) {
        return 2;
    }

    @Override
    void dotRows2(MemorySegment w, long row0, long row1, int cols, float[] x, int xOffset, int xStride, int n, float[] sums) {
        pair(w, row0, row1, cols, x, xOffset, xStride, n, sums);
    }

    /** 1 <= n <= 4 activation rows against weight rows row0 (into sums[k]) and row1 (sums[4 + k]). */
    private static void pair(MemorySegment w, long row0, long row1, int cols, float[] x, int x0, int s, int n, float[] sums) {
        int x1 = x0 + s, x2 = x1 + s, x3 = x2 + s;
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, c0 = z, c1 = z, c2 = z, c3 = z;
        int i = 0;
        for (; i < F.loopBound(cols); i += L) {
            FloatVector q0 = load(w, row0 + (long) i * BYTES), q1 = load(w, row1 + (long) i * BYTES);
            FloatVector xv = FloatVector.fromArray(F, x, x0 + i);
            a0 = q0.fma(xv, a0);
            c0 = q1.fma(xv, c0);
            if (n > 1) {
                xv = FloatVector.fromArray(F, x, x1 + i);
                a1 = q0.fma(xv, a1);
                c1 = q1.fma(xv, c1);
            }
            if (n > 2) {
                xv = FloatVector.fromArray(F, x, x2 + i);
                a2 = q0.fma(xv, a2);
                c2 = q1.fma(xv, c2);
            }
            if (n > 3) {
                xv = FloatVector.fromArray(F, x, x3 + i);
                a3 = q0.fma(xv, a3);
                c3 = q1.fma(xv, c3);
            }
        }
        sums[0] = a0.reduceLanes(VectorOperators.ADD);
        sums[4] = c0.reduceLanes(VectorOperators.ADD);
        if (n > 1) {
            sums[1] = a1.reduceLanes(VectorOperators.ADD);
            sums[5] = c1.reduceLanes(VectorOperators.ADD);
        }
        if (n > 2) {
            sums[2] = a2.reduceLanes(VectorOperators.ADD);
            sums[6] = c2.reduceLanes(VectorOperators.ADD);
        }
        if (n > 3) {
            sums[3] = a3.reduceLanes(VectorOperators.ADD);
            sums[7] = c3.reduceLanes(VectorOperators.ADD);
        }
        for (; i < cols; i++) { // the part past the last whole vector
            float v0 = scalar(w, row0 + (long) i * BYTES), v1 = scalar(w, row1 + (long) i * BYTES);
            for (int k = 0; k < n; k++) {
                float xi = x[x0 + k * s + i];
                sums[k] += v0 * xi;
                sums[4 + k] += v1 * xi;
            }
        }
    }
}
