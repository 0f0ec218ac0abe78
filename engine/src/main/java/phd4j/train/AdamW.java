package phd4j.train;

import phd4j.simd.WorkerPool;

/**
 * AdamW (Loshchilov and Hutter): m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2, both bias-corrected,
 * then w -= lr (m^ / (sqrt(v^) + eps) + wd w), the decay decoupled from the gradient and applied
 * only to tensors marked for it (the matrices; see {@link TrainSettings#weightDecay}).
 * Element-wise, so splitting it over threads cannot change a bit; StrictMath for the bias
 * corrections, so compiled and interpreted code agree.
 */
public final class AdamW {
    final float[] m, v;
    /** Per element: 1 if weight decay applies (a matrix), else 0. */
    private final float[] decayMask;

    public AdamW(ParamLayout layout) {
        m = new float[layout.size()];
        v = new float[layout.size()];
        decayMask = new float[layout.size()];
        for (ParamLayout.Tensor t : layout.tensors()) {
            if (t.matrix()) java.util.Arrays.fill(decayMask, t.offset(), t.offset() + t.size(), 1f);
        }
    }

    /**
     * One update of step {@code t} (1-based, for the bias correction), gradients pre-scaled by
     * {@code gradScale} (clipping).
     */
    public void update(WorkerPool pool, float[] w, float[] g, float gradScale, long t, TrainSettings s, double lr) {
        float b1 = (float) s.beta1(), b2 = (float) s.beta2(), eps = (float) s.eps();
        float c1 = (float) (1 / (1 - StrictMath.pow(s.beta1(), t))), c2 = (float) (1 / (1 - StrictMath.pow(s.beta2(), t)));
        float flr = (float) lr, wd = (float) s.weightDecay();
        int n = w.length, block = 1 << 14;
        pool.parallelFor((n + block - 1) / block, (b0, b1x) -> {
            for (int i = b0 * block, end = Math.min(n, b1x * block); i < end; i++) {
                float gi = g[i] * gradScale;
                float mi = b1 * m[i] + (1 - b1) * gi;
                float vi = b2 * v[i] + (1 - b2) * gi * gi;
                m[i] = mi;
                v[i] = vi;
                float mh = mi * c1, vh = vi * c2;
                w[i] -= flr * (mh / ((float) Math.sqrt(vh) + eps) + wd * decayMask[i] * w[i]);
            }
        });
    }
}
