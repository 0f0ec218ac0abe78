package phd4j.train;

import java.util.Random;
import phd4j.model.ModelShape;
import phd4j.phd.PhdConfig;

/** Tiny shapes and random parameters for the training tests. */
final class TinyModels {
    private TinyModels() {}

    /** dim 16, 2 layers, 2 query heads sharing 1 kv head (GQA), ffn 32, vocab 64. */
    static ModelSpec tiny(PhdConfig phd, int t, boolean tied) {
        return new ModelSpec(new ModelShape(16, 2, 2, 1, 32, 64), t, tied, 1e-5f, 10000f, phd);
    }

    /** Every variant the tests cover: vanilla, PHD, SWA, CSWA with K in {2, 3}. */
    static PhdConfig[] variants() {
        return new PhdConfig[] {
            PhdConfig.VANILLA,
            new PhdConfig(2, PhdConfig.Variant.PHD, 0, 0),
            new PhdConfig(3, PhdConfig.Variant.PHD, 0, 0),
            new PhdConfig(2, PhdConfig.Variant.SWA, 2, 0),
            new PhdConfig(3, PhdConfig.Variant.SWA, 3, 0),
            new PhdConfig(2, PhdConfig.Variant.CSWA, 3, 3),
            new PhdConfig(3, PhdConfig.Variant.CSWA, 4, 2),
        };
    }

    /**
     * Random parameters that make every path matter: matrices N(0, 1.5^2/in) (attention far from
     * uniform), norm weights 1 + N(0, 0.1^2), embeddings N(0, 1) (tied: N(0, 9/dim) so logits stay O(1)).
     */
    static void randomize(ModelSpec s, float[] params, long seed) {
        Random rnd = new Random(seed);
        for (ParamLayout.Tensor t : ParamLayout.of(s).tensors()) {
            boolean emb = t.name().equals("token_embd.weight");
            double std = !t.matrix() ? 0.1 : emb ? (s.tied() ? 3.0 / Math.sqrt(s.shape().dim()) : 1.0) : 1.5 / Math.sqrt(t.cols());
            for (int i = 0; i < t.size(); i++) {
                params[t.offset() + i] = (float) ((t.matrix() ? 0 : 1) + std * rnd.nextGaussian());
            }
        }
    }

    static int[] tokens(int n, int vocab, long seed) {
        Random rnd = new Random(seed);
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextInt(vocab);
        return v;
    }
}
