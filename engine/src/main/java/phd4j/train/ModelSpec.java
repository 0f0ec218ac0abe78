package phd4j.train;

import phd4j.model.ModelShape;
import phd4j.phd.PhdConfig;

/**
 * What {@code phd train} builds: a Llama-layout model's shape, the settings of its forward pass,
 * and its PHD settings.
 *
 * @param shape    the tensors' sizes; the heads split dim (head size = dim / heads)
 * @param seqLen   positions per training sequence (T), also written as llama.context_length
 * @param tied     the output projection is the embedding matrix
 * @param rmsEps   RMSNorm epsilon
 * @param ropeBase RoPE frequency base (NORMAL pairing (2i, 2i+1), all head dimensions rotate)
 * @param phd      K, variant, W, C
 */
public record ModelSpec(ModelShape shape, int seqLen, boolean tied, float rmsEps, float ropeBase, PhdConfig phd) {
    public ModelSpec {
        if (shape == null) throw new IllegalArgumentException("a model shape is required");
        if (!shape.headsSplitDim()) throw new IllegalArgumentException("the heads must split dim: " + shape);
        if (shape.vocab() < 2 || seqLen < 1) throw new IllegalArgumentException("vocab " + shape.vocab() + " and seqLen " + seqLen + " must be >= 2 and >= 1");
        if (!(rmsEps > 0) || !(ropeBase > 0)) throw new IllegalArgumentException("rmsEps and ropeBase must be positive");
        if (phd == null) throw new IllegalArgumentException("phd settings required (PhdConfig.VANILLA for K=1)");
    }

    public int k() {
        return phd.k();
    }

    /** Parameters in all tensors. */
    public long parameterCount() {
        return ParamLayout.of(this).size();
    }

    public ModelSpec withPhd(PhdConfig p) {
        return new ModelSpec(shape, seqLen, tied, rmsEps, ropeBase, p);
    }

    public ModelSpec withSeqLen(int t) {
        return new ModelSpec(shape, t, tied, rmsEps, ropeBase, phd);
    }

    /**
     * Model FLOPs of one training step per original token (forward + backward = 3x forward),
     * counted as in the PaLM appendix: 6 x (matrix parameters applied per row) x K rows, plus
     * attention score and value products (12 x layers x dim x keys seen, per row), plus the LM head
     * on copy K only. Embedding lookups and norms are not counted.
     */
    public double flopsPerToken() {
        int k = k(), dim = shape.dim(), kv = shape.kvDim(), hd = shape.headDim(), ffn = shape.ffn();
        double perRowMatrix = (double) dim * dim * 2 + 2.0 * dim * kv + 3.0 * dim * ffn; // q,o + k,v + gate,up,down
        double matrix = 6.0 * shape.layers() * perRowMatrix * k + 6.0 * dim * shape.vocab();
        // mean keys per query row: originals (T+1)/2 for every copy; hidden copies also see their own
        // position's earlier copies and, for SWA/CSWA, up to W hidden tokens (an upper bound)
        double keys = (seqLen + 1) / 2.0 * k;
        if (k > 1) {
            keys += (k - 1) * (k) / 2.0;
            if (phd.variant() != PhdConfig.Variant.PHD) keys += (k - 1) * (double) phd.window();
        }
        double attention = 6.0 * shape.layers() * shape.heads() * hd * 2 * keys;
        return matrix + attention;
    }
}
