package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.I;
import static phd4j.simd.Lanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_1: blocks of 32 weights in 24 bytes, {@code [fp16 d][fp16 m][uint32 qh][16 bytes of nibbles]}.
 * Byte j holds the low 4 bits of element j in its low nibble and of element j + 16 in its high
 * nibble; bit e of the little-endian qh is bit 4 of element e; weight = q * d + m.
 * Which loop runs: decoding reads the {@link Interleaved} copy; this kernel serves prefill's GEMM
 * (dequantize) and {@code --no-repack} ({@link #dot1} once per activation row).
 */
public final class Q5_1Kernel extends RowDotKernel {
    static final Q5_1Kernel INSTANCE = new Q5_1Kernel();
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 24;
    private static final int M = 2;
    private static final int QH = 4;
    private static final int QS = 8;

    private Q5_1Kernel() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_1;
    }

    /**
     * F32 to Q5_1 as llama.cpp's quantize_row_q5_1_ref: d = (max - min) / 31, m = min,
     * code = round half up of (x - min) / d.
     */
    static void quantize(float[] src, int srcOff, int n, MemorySegment dst, long dstOffset) {
        int[] codes = new int[BLOCK];
        for (int b = 0; b < n / BLOCK; b++) {
            int x = srcOff + b * BLOCK;
            long block = dstOffset + (long) b * BLOCK_BYTES;
            float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
            for (int j = 0; j < BLOCK; j++) {
                min = Math.min(min, src[x + j]);
                max = Math.max(max, src[x + j]);
            }
            float d = (max - min) / 31;
            float id = d != 0 ? 1 / d : 0;
            dst.set(Lanes.SHORT_LE, block, Rounding.toHalf(d));
            dst.set(Lanes.SHORT_LE, block + M, Rounding.toHalf(min));
            for (int j = 0; j < BLOCK; j++) {
                codes[j] = Math.min(31, (int) ((src[x + j] - min) * id + 0.5f));
            }
            Q5_0Kernel.pack(codes, dst, block + QH, block + QS);
        }
    }

    /** Scalar reference, written for clarity: the tests compare the vector code against it. */
    static void dequantizeReference(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Lanes.half(w, block);
            float m = Lanes.half(w, block + M);
            int qh = w.get(Lanes.INT_LE, block + QH);
            for (int j = 0; j < 16; j++) {
                int q = w.get(ValueLayout.JAVA_BYTE, block + QS + j) & 0xFF;
                int lowElement = (q & 0x0F) | ((qh >>> j) & 1) << 4;
                int highElement = (q >>> 4) | ((qh >>> (j + 16)) & 1) << 4;
                dst[dstOffset + b * BLOCK + j] = lowElement * d + m;
                dst[dstOffset + b * BLOCK + j + 16] = highElement * d + m;
            }
        }
    }

    /** Elements c .. c + L - 1 (low nibbles), as q. */
    private static FloatVector low(ByteVector qs, int qh, int c, IntVector lane) {
        IntVector q = Lanes.toInts(qs.and((byte) 0x0F)).or(Q5_0Kernel.fifthBits(qh, c, lane));
        return (FloatVector) q.convert(VectorOperators.I2F, 0);
    }

    /** Elements 16 + c .. 16 + c + L - 1 (high nibbles), as q. */
    private static FloatVector high(ByteVector qs, int qh, int c, IntVector lane) {
        IntVector q = Lanes.toInts(qs.lanewise(VectorOperators.LSHR, 4)).or(Q5_0Kernel.fifthBits(qh, 16 + c, lane));
        return (FloatVector) q.convert(VectorOperators.I2F, 0);
    }

    @Override
    void dequantizeChecked(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        IntVector lane = IntVector.zero(I).addIndex(1);
        for (int b = 0; b < n / BLOCK; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Lanes.half(w, block);
            float m = Lanes.half(w, block + M);
            int qh = w.get(Lanes.INT_LE, block + QH);
            int out = dstOffset + b * BLOCK;
            for (int c = 0; c < 16; c += L) {
                ByteVector qs = Lanes.bytes(w, block + QS + c);
                // mul then add, not fma: bit-exact with the reference's two roundings
                low(qs, qh, c, lane).mul(d).add(m).intoArray(dst, out + c);
                high(qs, qh, c, lane).mul(d).add(m).intoArray(dst, out + 16 + c);
            }
        }
    }

    @Override
    float dot1(MemorySegment w, long row, int cols, float[] x, int xOffset) {
        IntVector lane = IntVector.zero(I).addIndex(1);
        FloatVector acc = FloatVector.zero(F);
        long block = row;
        for (int i = xOffset; i < xOffset + cols; i += BLOCK, block += BLOCK_BYTES) {
            int qh = w.get(Lanes.INT_LE, block + QH);
            FloatVector d = FloatVector.broadcast(F, Lanes.half(w, block));
            FloatVector m = FloatVector.broadcast(F, Lanes.half(w, block + M));
            // The offset m makes scaling after the sum awkward, so scale the weights: q * d + m.
            FloatVector sum = FloatVector.zero(F);
            for (int c = 0; c < 16; c += L) {
                ByteVector qs = Lanes.bytes(w, block + QS + c);
                sum = low(qs, qh, c, lane).fma(d, m).fma(FloatVector.fromArray(F, x, i + c), sum);
                sum = high(qs, qh, c, lane).fma(d, m).fma(FloatVector.fromArray(F, x, i + 16 + c), sum);
            }
            acc = acc.add(sum);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
