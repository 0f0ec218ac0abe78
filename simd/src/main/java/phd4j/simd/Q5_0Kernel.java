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
 * Q5_0: blocks of 32 weights in 22 bytes, {@code [fp16 d][uint32 qh][16 bytes of nibbles]}.
 * Byte j holds the low 4 bits of element j in its low nibble and of element j + 16 in its high
 * nibble; bit e of the little-endian qh is bit 4 of element e; weight = (q - 16) * d.
 * Which loop runs: decoding reads the {@link Interleaved} copy; this kernel serves prefill's GEMM
 * (dequantize) and {@code --no-repack} ({@link #dot1} once per activation row).
 */
public final class Q5_0Kernel extends RowDotKernel {
    static final Q5_0Kernel INSTANCE = new Q5_0Kernel();
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 22;
    private static final int QH = 2;
    private static final int QS = 6;

    private Q5_0Kernel() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_0;
    }

    /**
     * F32 to Q5_0 as llama.cpp's quantize_row_q5_0_ref: d = the value of largest magnitude / -16
     * (the first of equal magnitudes), code = min(31, trunc(x / d + 16.5)).
     */
    static void quantize(float[] src, int srcOff, int n, MemorySegment dst, long dstOffset) {
        int[] codes = new int[BLOCK];
        for (int b = 0; b < n / BLOCK; b++) {
            int x = srcOff + b * BLOCK;
            long block = dstOffset + (long) b * BLOCK_BYTES;
            float d = Rounding.firstLargest(src, x, BLOCK) / -16;
            float id = d != 0 ? 1 / d : 0;
            dst.set(Lanes.SHORT_LE, block, Rounding.toHalf(d));
            for (int j = 0; j < BLOCK; j++) {
                codes[j] = Math.min(31, (int) (src[x + j] * id + 16.5f));
            }
            pack(codes, dst, block + QH, block + QS);
        }
    }

    /** Writes 32 five-bit codes as Q5_0 and Q5_1 hold them: bit 4 of code e is bit e of qh, the low bits nibbles of qs. */
    static void pack(int[] codes, MemorySegment dst, long qhOffset, long qsOffset) {
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int lo = codes[j], hi = codes[j + 16];
            dst.set(ValueLayout.JAVA_BYTE, qsOffset + j, (byte) ((lo & 0x0F) | (hi & 0x0F) << 4));
            qh |= (lo >>> 4 & 1) << j | (hi >>> 4 & 1) << (j + 16);
        }
        dst.set(Lanes.INT_LE, qhOffset, qh);
    }

    /** Scalar reference, written for clarity: the tests compare the vector code against it. */
    static void dequantizeReference(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Lanes.half(w, block);
            int qh = w.get(Lanes.INT_LE, block + QH);
            for (int j = 0; j < 16; j++) {
                int q = w.get(ValueLayout.JAVA_BYTE, block + QS + j) & 0xFF;
                int lowElement = (q & 0x0F) | ((qh >>> j) & 1) << 4;
                int highElement = (q >>> 4) | ((qh >>> (j + 16)) & 1) << 4;
                dst[dstOffset + b * BLOCK + j] = (lowElement - 16) * d;
                dst[dstOffset + b * BLOCK + j + 16] = (highElement - 16) * d;
            }
        }
    }

    /** Lanes 0..L-1: bit 4 of elements first .. first + L - 1, taken from qh. {@code lane} is 0, 1, 2, ... */
    static IntVector fifthBits(int qh, int first, IntVector lane) {
        return IntVector.broadcast(I, qh >>> first).lanewise(VectorOperators.LSHR, lane).and(1).lanewise(VectorOperators.LSHL, 4);
    }

    /** Elements c .. c + L - 1 (low nibbles), as q - 16. */
    private static FloatVector low(ByteVector qs, int qh, int c, IntVector lane) {
        IntVector q = Lanes.toInts(qs.and((byte) 0x0F)).or(fifthBits(qh, c, lane));
        return (FloatVector) q.sub(16).convert(VectorOperators.I2F, 0);
    }

    /** Elements 16 + c .. 16 + c + L - 1 (high nibbles), as q - 16. */
    private static FloatVector high(ByteVector qs, int qh, int c, IntVector lane) {
        IntVector q = Lanes.toInts(qs.lanewise(VectorOperators.LSHR, 4)).or(fifthBits(qh, 16 + c, lane));
        return (FloatVector) q.sub(16).convert(VectorOperators.I2F, 0);
    }

    @Override
    void dequantizeChecked(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        IntVector lane = IntVector.zero(I).addIndex(1);
        for (int b = 0; b < n / BLOCK; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Lanes.half(w, block);
            int qh = w.get(Lanes.INT_LE, block + QH);
            int out = dstOffset + b * BLOCK;
            for (int c = 0; c < 16; c += L) {
                ByteVector qs = Lanes.bytes(w, block + QS + c);
                low(qs, qh, c, lane).mul(d).intoArray(dst, out + c);
                high(qs, qh, c, lane).mul(d).intoArray(dst, out + 16 + c);
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
            // Sum q * x over the block, then scale once: one fma on the loop-carried accumulator per block.
            FloatVector sum = FloatVector.zero(F);
            for (int c = 0; c < 16; c += L) {
                ByteVector qs = Lanes.bytes(w, block + QS + c);
                sum = low(qs, qh, c, lane).fma(FloatVector.fromArray(F, x, i + c), sum);
                sum = high(qs, qh, c, lane).fma(FloatVector.fromArray(F, x, i + 16 + c), sum);
            }
            acc = sum.fma(FloatVector.broadcast(F, Lanes.half(w, block)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
