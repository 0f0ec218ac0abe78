package phd4j.train;

import phd4j.phd.PhdConfig;

/**
 * The shape of a trainable Llama-layout model and its PHD settings.
 *
 * @param dim      embedding width
 * @param layers   transformer blocks
 * @param heads    query heads; head size = dim / heads
 * @param kvHeads  key/value heads (GQA), divides heads
 * @param ffn      SwiGLU hidden width
 * @param vocab    vocabulary size (rows of the embedding)
 * @param seqLen   positions per training sequence (T), also written as llama.context_length
 * @param tied     the output projection is the embedding matrix
 * @param rmsEps   RMSNorm epsilon
 * @param ropeBase RoPE frequency base (NORMAL pairing (2i, 2i+1), all head dimensions rotate)
 * @param phd      K, variant, W, C
 */
public record ModelShape(int dim, int layers, int heads, int kvHeads, int ffn, int vocab, int seqLen,
                         boolean tied, float rmsEps, float ropeBase, PhdConfig phd) {
    public ModelShape {
        if (dim < 2 || layers < 1 || heads < 1 || kvHeads < 1 || ffn < 1 || vocab < 2 || seqLen < 1) {
            throw new IllegalArgumentException("model sizes must be positive: " + this);
        }
        if (dim % heads != 0 || (dim / heads) % 2 != 0) throw new IllegalArgumentException("dim " + dim + " must split into heads " + heads + " of even size");
        if (heads % kvHeads != 0) throw new IllegalArgumentException("kvHeads " + kvHeads + " must divide heads " + heads);
        if (!(rmsEps > 0) || !(ropeBase > 0)) throw new IllegalArgumentException("rmsEps and ropeBase must be positive");
        if (phd == null) throw new IllegalArgumentException("phd settings required (PhdConfig.VANILLA for K=1)");
    }

    public int headDim() {
        return dim / heads;
    }

    public int kvDim() {
        return kvHeads * headDim();
    }

    public int k() {
        return phd.k();
    }

    /** Parameters in all tensors. */
    public long parameterCount() {
        return ParamLayout.of(this).size();
    }

    public ModelShape withPhd(PhdConfig p) {
        return new ModelShape(dim, layers, heads, kvHeads, ffn, vocab, seqLen, tied, rmsEps, ropeBase, p);
    }

    public ModelShape withSeqLen(int t) {
        return new ModelShape(dim, layers, heads, kvHeads, ffn, vocab, t, tied, rmsEps, ropeBase, phd);
    }

    /**
     * Model FLOPs of one training step per original token (forward + backward = 3x forward),
     * counted as in the PaLM appendix: 6 x (matrix parameters applied per row) x K rows, plus
     * attention score and value products (12 x layers x dim x keys seen, per row), plus the LM head
     * on copy K only. Embedding lookups and norms are not counted.
     */
    public double flopsPerToken() {
        int k = k(), kv = kvDim(), hd = headDim();
        double perRowMatrix = (double) dim * dim * 2 + 2.0 * dim * kv + 3.0 * dim * ffn; // q,o + k,v + gate,up,down
        double matrix = 6.0 * layers * perRowMatrix * k + 6.0 * dim * vocab;
        // mean keys per query row: originals (T+1)/2 for every copy; hidden copies also see their own
        // position's earlier copies and, for SWA/CSWA, up to W hidden tokens (an upper bound)
        double keys = (seqLen + 1) / 2.0 * k;
        if (k > 1) {
            keys += (k - 1) * (k) / 2.0;
            if (phd.variant() != PhdConfig.Variant.PHD) keys += (k - 1) * (double) phd.window();
        }
        double attention = 6.0 * layers * heads * hd * 2 * keys;
        return matrix + attention;
    }
}
