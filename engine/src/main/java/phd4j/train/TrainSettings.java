package phd4j.train;

/**
 * Optimization settings.
 *
 * @param batch       sequences per step (B); each step trains on B*T original tokens
 * @param steps       total optimizer steps (the cosine schedule ends here)
 * @param lr          peak learning rate
 * @param minLr       floor the cosine decays to
 * @param warmup      steps of linear warm-up from lr/warmup to lr
 * @param beta1       AdamW first-moment decay
 * @param beta2       AdamW second-moment decay
 * @param eps         AdamW epsilon
 * @param weightDecay decoupled weight decay, applied to matrices only (embedding, projections,
 *                    output); never to the RMSNorm weights
 * @param clip        global gradient-norm clip (0 = none)
 * @param initStd     std of the normal initialization of matrices; attn_output and ffn_down get
 *                    initStd / sqrt(2 * layers) (GPT-2's scaled residual projections); norms start at 1
 * @param seed        seeds initialization and the choice of training windows
 */
public record TrainSettings(int batch, int steps, double lr, double minLr, int warmup,
                            double beta1, double beta2, double eps, double weightDecay, double clip,
                            double initStd, long seed) {
    public TrainSettings {
        if (batch < 1 || steps < 1 || warmup < 0) throw new IllegalArgumentException("batch and steps must be positive, warmup >= 0");
        if (!(lr > 0) || minLr < 0 || minLr > lr) throw new IllegalArgumentException("need 0 <= minLr <= lr, lr > 0");
        if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 || !(eps > 0)) throw new IllegalArgumentException("bad AdamW betas or eps");
        if (weightDecay < 0 || clip < 0 || !(initStd > 0)) throw new IllegalArgumentException("weight decay, clip must be >= 0, initStd > 0");
    }

    /** Defaults: AdamW(0.9, 0.95, 1e-8), weight decay 0.1, clip 1.0, init std 0.02, warm-up 10 % of the steps, floor lr/10. */
    public static TrainSettings defaults(int batch, int steps, double lr, long seed) {
        return new TrainSettings(batch, steps, lr, lr / 10, Math.max(1, steps / 10), 0.9, 0.95, 1e-8, 0.1, 1.0, 0.02, seed);
    }

    /** Learning rate of step s (0-based): linear warm-up over {@code warmup} steps, then cosine decay to {@code minLr} at {@code steps}. */
    public double learningRate(long s) {
        if (s < warmup) return lr * (s + 1) / warmup;
        if (s >= steps) return minLr;
        double progress = (double) (s - warmup) / Math.max(1, steps - warmup);
        return minLr + 0.5 * (lr - minLr) * (1 + StrictMath.cos(Math.PI * progress));
    }

    public TrainSettings withSteps(int n) {
        return new TrainSettings(batch, n, lr, minLr, warmup, beta1, beta2, eps, weightDecay, clip, initStd, seed);
    }
}
