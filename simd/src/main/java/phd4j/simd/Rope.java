package phd4j.simd;

/**
 * Rotary position embedding. Dimension pairs are rotated by angle pos * base^(-2i/ropeDim);
 * the first {@code ropeDim} dimensions of each head rotate, the rest pass through.
 * NORMAL pairs adjacent elements (2i, 2i+1), as llama.cpp does for the llama architecture
 * (its converter permutes Q/K weights to suit); NEOX pairs element i with i + ropeDim/2.
 */
public final class Rope {
    public enum Style { NORMAL, NEOX }

    private final Style style;
    private final int headDim;
    private final int ropeDim;
    private final float[] invFreq; // [ropeDim / 2]

    public Rope(Style style, int headDim, int ropeDim, float freqBase, float freqScale) {
        this(style, headDim, ropeDim, freqBase, freqScale, null);
    }

    /**
     * A RoPE whose frequency of pair i is also divided by freqFactors[i] ([ropeDim / 2], or null
     * for none): Llama 3.1's long-context scaling, as ggml's rope takes it ("freq_factors").
     */
    public Rope(Style style, int headDim, int ropeDim, float freqBase, float freqScale, float[] freqFactors) {
        if (ropeDim > headDim || ropeDim % 2 != 0) {
            throw new IllegalArgumentException("rope dimension " + ropeDim + " must be even and <= head dimension " + headDim);
        }
        if (freqFactors != null && freqFactors.length != ropeDim / 2) {
            throw new IllegalArgumentException(freqFactors.length + " frequency factors for " + ropeDim / 2 + " rotated pairs");
        }
        this.style = style;
        this.headDim = headDim;
        this.ropeDim = ropeDim;
        this.invFreq = new float[ropeDim / 2];
        for (int i = 0; i < invFreq.length; i++) {
            double f = freqScale * Math.pow(freqBase, -2.0 * i / ropeDim);
            invFreq[i] = (float) (freqFactors != null ? f / freqFactors[i] : f);
        }
    }

    public int headDim() {
        return headDim;
    }

    /**
     * Fills cos/sin tables ([ropeDim / 2] each, at offset t) for one position; reused for every
     * head of a row. The angle is formed in double so large positions keep their precision.
     */
    public void angles(int pos, float[] cos, float[] sin, int t) {
        for (int i = 0; i < invFreq.length; i++) {
            double theta = (double) pos * invFreq[i];
            cos[t + i] = (float) Math.cos(theta);
            sin[t + i] = (float) Math.sin(theta);
        }
    }

    /** Rotates nHeads consecutive heads of x starting at offset o, with tables from {@link #angles} at offset t. */
    public void rotate(float[] x, int o, int nHeads, float[] cos, float[] sin, int t) {
        int half = ropeDim / 2;
        for (int h = 0; h < nHeads; h++) {
            int base = o + h * headDim;
            for (int i = 0; i < half; i++) {
                int a = style == Style.NORMAL ? base + 2 * i : base + i;
                int b = style == Style.NORMAL ? a + 1 : a + half;
                float x0 = x[a], x1 = x[b];
                x[a] = x0 * cos[t + i] - x1 * sin[t + i];
                x[b] = x0 * sin[t + i] + x1 * cos[t + i];
            }
        }
    }

    public int tableSize() {
        return ropeDim / 2;
    }
}
