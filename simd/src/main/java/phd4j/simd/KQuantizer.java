package phd4j.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The F32 -> K-quant search shared by {@link Q4KKernel#quantize}, {@link Q5KKernel#quantize} and
 * {@link Q6KKernel#quantize}. Each super-block is first quantized as llama.cpp's reference
 * quantizer does (what {@code llama-quantize} uses without an importance matrix), then improved:
 *
 * <ol>
 * <li><b>llama.cpp's start.</b> Q4_K / Q5_K: per 32-element sub-block, a weighted least-squares
 * search for a scale and a min ({@link #makeQkx2}: weights sqrt(mean x^2) + |x|, a sweep of
 * trial inverse scales, each refitted in closed form); then d = max scale / 63 and
 * dmin = max min / 63 in fp16 and 6-bit sub-block scales and mins rounded against them.
 * Q6_K: per 16-element sub-block, a sweep of 19 trial scales weighted by x^2 ({@link #makeQx}),
 * then d = max |scale| / 128 in fp16 (the largest one maps to -128) and int8 sub-block scales.
 * <li><b>Our refinement.</b> Once d (and dmin) are fixed, the sub-blocks are independent, and the
 * rounded 6-bit (or 8-bit) codes llama.cpp picks minimise a weighted error of the unrounded scale,
 * not the error of the stored weights. For every sub-block we try the codes within
 * {@link #RADIUS} of llama.cpp's (scale and min together for the type-1 formats), quantize the
 * elements to the nearest level for each, and keep the pair with the smallest sum of squared
 * errors of exactly what {@code dequantizeReference} decodes. llama.cpp's own choice is among
 * the candidates and wins ties, so no sub-block ends up worse than llama.cpp's (up to its float
 * rounding, which is not bit-exact with ours when its loops are compiled with FMA).
 * </ol>
 *
 * Rounding is to nearest, ties to even ({@link Math#rint}), as ggml's nearest_int does.
 */
final class KQuantizer {
    /** How far from llama.cpp's sub-block scale (and min) codes the refinement looks. */
    static final int RADIUS = 2;

    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** ggml's GROUP_MAX_EPS: a Q6_K super-block whose sub-block scales are all smaller is all zero. */
    private static final float GROUP_MAX_EPS = 1e-15f;

    private KQuantizer() {
    }

    /** The fp16 bits for {@code f} at {@code offset}, little-endian, rounded as ggml rounds. */
    static void putHalf(MemorySegment dst, long offset, float f) {
        dst.set(HALF, offset, Rounding.toHalf(f));
    }

    /** Per-call scratch space, so that a row allocates once, not once per super-block. */
    static final class Scratch {
        final float[] weights = new float[32];
        final byte[] laux = new byte[32];
        final float[] scales = new float[16];
        final float[] mins = new float[8];
        /** Quant codes of one super-block: 0..nmax for type-1, 0..63 (q + 32) for Q6_K. */
        final byte[] codes = new byte[KQuants.SUPER_BLOCK];
        final byte[] trial = new byte[32];
        /** Sub-block scale codes: 6-bit for Q4_K / Q5_K, int8 for Q6_K. */
        final int[] ls = new int[16];
        /** Sub-block min codes (Q4_K / Q5_K). */
        final int[] lm = new int[8];
        /** The stored super-block scales, as the decoder reads them back. */
        float d, dmin;
    }

    // ---------------------------------------------------------------- type 1: Q4_K, Q5_K

    /**
     * Quantizes the 256 floats at {@code x[off]} as a Q4_K ({@code nmax} 15) or Q5_K (31) super-block:
     * fills {@code s.codes}, {@code s.ls}, {@code s.lm}, {@code s.d} and {@code s.dmin} (fp16-exact).
     * rmin, rdelta and nstep are llama.cpp's make_qkx2_quants sweep for the type; {@code radius} 0
     * skips the refinement (llama.cpp's algorithm alone, for comparison).
     */
    static void type1SuperBlock(float[] x, int off, int nmax, float rmin, float rdelta, int nstep, int radius, Scratch s) {
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            int o = off + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[o + l] * x[o + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) s.weights[l] = avX + Math.abs(x[o + l]);
            s.scales[j] = makeQkx2(x, o, nmax, s.weights, s.codes, 32 * j, s.mins, j, s.laux, rmin, rdelta, nstep);
            maxScale = Math.max(maxScale, s.scales[j]);
            maxMin = Math.max(maxMin, s.mins[j]);
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        s.d = Float.float16ToFloat(Rounding.toHalf(maxScale / 63f));
        s.dmin = Float.float16ToFloat(Rounding.toHalf(maxMin / 63f));
        for (int j = 0; j < 8; j++) {
            int ls0 = clamp((int) Math.rint(invScale * s.scales[j]), 0, 63);
            int lm0 = clamp((int) Math.rint(invMin * s.mins[j]), 0, 63);
            // llama.cpp's pair first: a candidate replaces it only when strictly better
            int o = off + 32 * j;
            float best = type1Error(x, o, s.d * ls0, s.dmin * lm0, nmax, s.codes, 32 * j);
            int bestLs = ls0, bestLm = lm0;
            for (int ls = Math.max(0, ls0 - radius); ls <= Math.min(63, ls0 + radius); ls++) {
                for (int lm = Math.max(0, lm0 - radius); lm <= Math.min(63, lm0 + radius); lm++) {
                    if (ls == ls0 && lm == lm0) continue;
                    float err = type1Error(x, o, s.d * ls, s.dmin * lm, nmax, s.trial, 0);
                    if (err < best) {
                        best = err;
                        bestLs = ls;
                        bestLm = lm;
                        System.arraycopy(s.trial, 0, s.codes, 32 * j, 32);
                    }
                }
            }
            s.ls[j] = bestLs;
            s.lm[j] = bestLm;
        }
    }

    /**
     * Quantizes 32 floats to the nearest of the levels scale * q - min (q = 0..nmax), as the
     * decoder computes them, writing q to {@code codes[c..c+31]}; returns the sum of squared errors.
     * A zero scale decodes every q to -min: q = 0.
     */
    private static float type1Error(float[] x, int o, float scale, float min, int nmax, byte[] codes, int c) {
        float err = 0;
        float inv = scale != 0 ? 1f / scale : 0f;
        for (int l = 0; l < 32; l++) {
            int q = scale != 0 ? clamp((int) Math.rint((x[o + l] + min) * inv), 0, nmax) : 0;
            codes[c + l] = (byte) q;
            float diff = scale * q - min - x[o + l];
            err += diff * diff;
        }
        return err;
    }

    /** Packs the 8 six-bit scales and mins into the 12 bytes at {@code at}, laid out as KQuants.scale6 / min6 read them. */
    static void putScales6(MemorySegment dst, long at, int[] ls, int[] lm) {
        byte[] b = new byte[12];
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                b[j] |= (byte) ls[j];
                b[j + 4] |= (byte) lm[j];
            } else {
                b[j + 4] = (byte) ((ls[j] & 0xF) | (lm[j] & 0xF) << 4);
                b[j - 4] |= (byte) ((ls[j] >> 4) << 6);
                b[j] |= (byte) ((lm[j] >> 4) << 6);
            }
        }
        MemorySegment.copy(b, 0, dst, ValueLayout.JAVA_BYTE, at, 12);
    }

    /**
     * llama.cpp's make_qkx2_quants for one 32-element sub-block at {@code x[o]}: the scale and
     * min (returned, and stored as a non-negative {@code mins[j]} to subtract) of the levels
     * scale * q + min, q = 0..nmax, that minimise the weighted squared error over a sweep of
     * nstep + 1 trial inverse scales (nmax + rmin + rdelta * is) / (max - min), each refitted by
     * weighted least squares (with min clamped to at most 0). Codes go to {@code codes[c..]}.
     */
    static float makeQkx2(float[] x, int o, int nmax, float[] w, byte[] codes, int c, float[] mins, int j,
                          byte[] laux, float rmin, float rdelta, int nstep) {
        float min = x[o], max = x[o];
        float sumW = w[0];
        float sumX = sumW * x[o];
        for (int i = 1; i < 32; i++) {
            if (x[o + i] < min) min = x[o + i];
            if (x[o + i] > max) max = x[o + i];
            sumW += w[i];
            sumX += w[i] * x[o + i];
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < 32; i++) codes[c + i] = 0;
            mins[j] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < 32; i++) {
            int l = clamp((int) Math.rint(iscale * (x[o + i] - min)), 0, nmax);
            codes[c + i] = (byte) l;
            float diff = scale * l + min - x[o + i];
            bestError += w[i] * (diff * diff);
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < 32; i++) {
                int l = clamp((int) Math.rint(iscale * (x[o + i] - min)), 0, nmax);
                laux[i] = (byte) l;
                float wl = w[i] * l;
                sumL += wl;
                sumL2 += wl * l;
                sumXL += wl * x[o + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float err = 0;
                for (int i = 0; i < 32; i++) {
                    float diff = thisScale * laux[i] + thisMin - x[o + i];
                    err += w[i] * (diff * diff);
                }
                if (err < bestError) {
                    System.arraycopy(laux, 0, codes, c, 32);
                    bestError = err;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        mins[j] = -min;
        return scale;
    }

    // ---------------------------------------------------------------- type 0: Q6_K

    /**
     * Quantizes the 256 floats at {@code x[off]} as a Q6_K super-block: fills {@code s.codes}
     * (q + 32, 0..63), {@code s.ls} (16 int8 scales) and {@code s.d} (fp16-exact); {@code radius}
     * as in {@link #type1SuperBlock}.
     */
    static void q6SuperBlock(float[] x, int off, int radius, Scratch s) {
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = makeQx(x, off + 16 * ib, 16, 32);
            s.scales[ib] = scale;
            if (Math.abs(scale) > maxAbsScale) {
                maxAbsScale = Math.abs(scale);
                maxScale = scale;
            }
        }
        if (!(maxAbsScale >= GROUP_MAX_EPS)) {
            s.d = 0;
            java.util.Arrays.fill(s.ls, 0);
            java.util.Arrays.fill(s.codes, (byte) 0);
            return;
        }
        float iscale = -128f / maxScale;
        s.d = Float.float16ToFloat(Rounding.toHalf(1 / iscale));
        for (int ib = 0; ib < 16; ib++) {
            int sc0 = clamp((int) Math.rint(iscale * s.scales[ib]), -128, 127);
            int o = off + 16 * ib;
            float best = q6Error(x, o, s.d * sc0, s.codes, 16 * ib);
            int bestSc = sc0;
            for (int sc = Math.max(-128, sc0 - radius); sc <= Math.min(127, sc0 + radius); sc++) {
                if (sc == sc0) continue;
                float err = q6Error(x, o, s.d * sc, s.trial, 0);
                if (err < best) {
                    best = err;
                    bestSc = sc;
                    System.arraycopy(s.trial, 0, s.codes, 16 * ib, 16);
                }
            }
            s.ls[ib] = bestSc;
        }
    }

    /** 16 floats to the nearest of scale * (q - 32), q = 0..63; codes q to {@code codes[c..]}; returns the squared error. */
    private static float q6Error(float[] x, int o, float scale, byte[] codes, int c) {
        float err = 0;
        float inv = scale != 0 ? 1f / scale : 0f;
        for (int l = 0; l < 16; l++) {
            int q = scale != 0 ? clamp((int) Math.rint(x[o + l] * inv), -32, 31) : 0;
            codes[c + l] = (byte) (q + 32);
            float diff = scale * q - x[o + l];
            err += diff * diff;
        }
        return err;
    }

    /**
     * llama.cpp's make_qx_quants with rmse_type 1 and no importance weights: the scale of the
     * symmetric levels scale * l, l = -nmax..nmax-1, whose weighted (by x^2) least-squares fit is
     * best over the trial inverse scales -(nmax + 0.1 is) / max, is = -9..9 (max: the element of
     * largest magnitude, sign included). Zero when every |x| is below GROUP_MAX_EPS.
     */
    static float makeQx(float[] x, int o, int n, int nmax) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[o + i]);
            if (ax > amax) {
                amax = ax;
                max = x[o + i];
            }
        }
        if (amax < GROUP_MAX_EPS) return 0f;
        float iscale = -nmax / max;
        float sumLX = 0, sumL2 = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp((int) Math.rint(iscale * x[o + i]), -nmax, nmax - 1);
            float w = x[o + i] * x[o + i];
            sumLX += w * x[o + i] * l;
            sumL2 += w * l * l;
        }
        float scale = sumL2 != 0 ? sumLX / sumL2 : 0f;
        float best = scale * sumLX;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumLX = 0;
            sumL2 = 0;
            for (int i = 0; i < n; i++) {
                int l = clamp((int) Math.rint(iscale * x[o + i]), -nmax, nmax - 1);
                float w = x[o + i] * x[o + i];
                sumLX += w * x[o + i] * l;
                sumL2 += w * l * l;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2) {
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
