package phd4j.simd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/** Random weights of each type, and the scalar references the kernels are checked against. */
final class TestWeights {
    private TestWeights() {
    }

    /** The types this module's core kernels cover. */
    static final GgmlType[] TYPES = {
            GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1};

    /**
     * A rows x cols matrix of random weights in a native slice that starts at an odd address and
     * ends exactly at the data's end, so unaligned access is exercised and over-reads are caught.
     */
    static WeightMatrix random(Arena arena, GgmlType type, int rows, int cols, Random rnd) {
        long bytes = type.bytesFor((long) rows * cols);
        MemorySegment data = arena.allocate(bytes + 1, 8).asSlice(1, bytes);
        for (long i = 0; i < bytes; i++) {
            data.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        }
        switch (type) {
            case F32 -> {
                for (long i = 0; i < bytes; i += 4) data.set(Lanes.FLOAT_LE, i, signedUnit(rnd) * 2);
            }
            case F16 -> {
                for (long i = 0; i < bytes; i += 2) data.set(Lanes.SHORT_LE, i, Float.floatToFloat16(signedUnit(rnd) * 2));
            }
            case BF16 -> {
                for (long i = 0; i < bytes; i += 2) data.set(Lanes.SHORT_LE, i, (short) (Float.floatToIntBits(signedUnit(rnd) * 2) >>> 16));
            }
            case Q8_0, Q4_0, Q5_0 -> setHalves(data, type, rnd, 0);
            case Q4_1, Q5_1 -> setHalves(data, type, rnd, 0, 2);
            default -> throw new IllegalArgumentException(type.toString());
        }
        return new WeightMatrix(type, data, rows, cols);
    }

    /** Replaces the fp16 fields at {@code offsets} of every block with finite halves, |h| in [1e-3, 1]. */
    private static void setHalves(MemorySegment data, GgmlType type, Random rnd, int... offsets) {
        for (long block = 0; block < data.byteSize(); block += type.blockBytes) {
            for (int offset : offsets) {
                float magnitude = (float) Math.pow(10, -3 * rnd.nextDouble());
                data.set(Lanes.SHORT_LE, block + offset, Float.floatToFloat16(rnd.nextBoolean() ? magnitude : -magnitude));
            }
        }
    }

    /** Uniform in [-1, 1). */
    static float signedUnit(Random rnd) {
        return rnd.nextFloat() * 2 - 1;
    }

    static float[] randomFloats(int n, Random rnd) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = signedUnit(rnd);
        return a;
    }

    /** sum |w[wOff + i] * x[xOff + i]| over i < n: what the float rounding of that dot product scales with. */
    static double absDot(float[] w, int wOff, float[] x, int xOff, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.abs((double) w[wOff + i] * x[xOff + i]);
        return sum;
    }

    /** The whole matrix dequantized by the reference, [rows][cols]. */
    static float[] referenceMatrix(WeightMatrix w) {
        float[] m = new float[w.rows() * w.cols()];
        for (int o = 0; o < w.rows(); o++) {
            Kernels.reference(w.type()).dequantize(w.data(), o * w.rowBytes(), m, o * w.cols(), w.cols());
        }
        return m;
    }
}
