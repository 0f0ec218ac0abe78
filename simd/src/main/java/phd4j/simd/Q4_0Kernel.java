package phd4j.simd;

import static phd4j.simd.Lanes.F;
import static phd4j.simd.Lanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0: blocks of 32 weights in 18 bytes, {@code [fp16 d][16 bytes of nibbles]}. Byte j holds
 * element j in its low nibble and element j + 16 in its high nibble; weight = (nibble - 8) * d.
 * Decoding reads the {@link Interleaved} copy made at load; this kernel serves prefill's GEMM
 * (dequantize) and {@code --no-repack} (one activation row at a time, {@link #dot1}). Its
 * multi-row loops (two weight rows at once, 1 to 8 activation rows, a lane-permute decode at
 * AVX-512), 300 lines, went when the copy took over decoding; their figures are in
 * docs/performance.md (KernelBench Q4_0 file kernel, 4 rows: 142.9 GFLOP/s).
 */
public final class Q4_0Kernel extends RowDotKernel {
    static final Q4_0Kernel INSTANCE = new Q4_0Kernel();
    private static final int BLOCK = 32;
    private static final int BLOCK_BYTES = 18;
    private static final int QS = 2;

    private Q4_0Kernel() {
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    /** Scalar reference, written for clarity: the tests compare the vector code against it. */
    static void dequantizeReference(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Lanes.half(w, block);
            for (int j = 0; j < 16; j++) {
                int q = w.get(ValueLayout.JAVA_BYTE, block + QS + j) & 0xFF;
                dst[dstOffset + b * BLOCK + j] = ((q & 0x0F) - 8) * d;
                dst[dstOffset + b * BLOCK + j + 16] = ((q >>> 4) - 8) * d;
            }
        }
    }

    /**
     * F32 -> Q4_0, bit-exact with llama.cpp's reference quantizer (what llama-quantize uses): the
     * signed value of largest magnitude (the first one on ties) maps to -8, d = max / -8 stored
     * as fp16; each nibble is min(15, truncate(x * (1 / d) + 8.5f)) in float arithmetic.
     * {@code n} must be a multiple of 32.
     */
    static void quantize(float[] src, int srcOff, int n, MemorySegment dst, long dstOffset) {
        for (int b = 0; b < n / BLOCK; b++) {
            int x = srcOff + b * BLOCK;
            long block = dstOffset + (long) b * BLOCK_BYTES;
            float d = Rounding.firstLargest(src, x, BLOCK) / -8;
            float id = d != 0 ? 1 / d : 0;
            dst.set(Lanes.SHORT_LE, block, Rounding.toHalf(d));
            for (int j = 0; j < 16; j++) {
                // (int) truncates toward zero as C's (int8_t) conversion does; the sum is >= 0 here
                int lo = Math.min(15, (int) (src[x + j] * id + 8.5f));
                int hi = Math.min(15, (int) (src[x + 16 + j] * id + 8.5f));
                dst.set(ValueLayout.JAVA_BYTE, block + QS + j, (byte) (lo | hi << 4));
            }
        }
    }

    /*
     * The nibbles are split after widening to int lanes: x86 has no byte shift, and the JIT
     * emulates one (widen, shift, narrow) before the byte-to-float conversion widens again.
     * The JIT shares one widening between low() and high() of the same bytes.
     */

    /** Lanes 0..L-1: the low nibbles of L bytes, minus 8. */
    private static FloatVector low(ByteVector qs) {
        return (FloatVector) Lanes.toInts(qs).and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
    }

    /** Lanes 0..L-1: the high nibbles of L bytes, minus 8. */
    private static FloatVector high(ByteVector qs) {
        return (FloatVector) Lanes.toInts(qs).lanewise(VectorOperators.LSHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
    }

    @Override
    void dequantizeChecked(MemorySegment w, long byteOffset, float[] dst, int dstOffset, int n) {
        for (int b = 0; b < n / BLOCK; b++) {
            long block = byteOffset + (long) b * BLOCK_BYTES;
            float d = Lanes.half(w, block);
            int out = dstOffset + b * BLOCK;
            for (int c = 0; c < 16; c += L) {
                ByteVector qs = Lanes.bytes(w, block + QS + c);
                low(qs).mul(d).intoArray(dst, out + c);
                high(qs).mul(d).intoArray(dst, out + 16 + c);
            }
        }
    }

    @Override
    float dot1(MemorySegment w, long row, int cols, float[] x, int xOffset) {
        FloatVector acc = FloatVector.zero(F);
        long block = row;
        for (int i = xOffset; i < xOffset + cols; i += BLOCK, block += BLOCK_BYTES) {
            // Sum q * x over the block, then scale once: one fma on the loop-carried accumulator per block.
            FloatVector sum = FloatVector.zero(F);
            for (int c = 0; c < 16; c += L) {
                ByteVector qs = Lanes.bytes(w, block + QS + c);
                sum = low(qs).fma(FloatVector.fromArray(F, x, i + c), sum);
                sum = high(qs).fma(FloatVector.fromArray(F, x, i + 16 + c), sum);
            }
            acc = sum.fma(FloatVector.broadcast(F, Lanes.half(w, block)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
