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
 * Which loop runs: decoding reads the {@link Interleaved} copy; this kernel serves prefill's GEMM
 * (dequantize) and {@code --no-repack} ({@link #dot1} once per activation row).
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
}
