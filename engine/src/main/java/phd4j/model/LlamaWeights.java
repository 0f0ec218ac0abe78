package phd4j.model;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import phd4j.gguf.GgufException;
import phd4j.gguf.GgufFile;
import phd4j.gguf.GgufTensorInfo;
import phd4j.simd.Kernels;
import phd4j.simd.WeightMatrix;
import phd4j.simd.WorkerPool;

/**
 * The weights of a Llama-family model: matrices are slices of the mapped GGUF file (never
 * copied; the parts of a fused tensor are slices too); the small norm and bias vectors are
 * dequantized onto the heap once. Every tensor's shape and
 * type is checked here, so the forward pass can trust them.
 */
public final class LlamaWeights {

    /**
     * One transformer block. Matrix shapes are [rows = out][cols = in]. The nullable fields are
     * absent in plain llama files; the forward pass applies each one that is there.
     */
    public record Layer(float[] attnNorm,     // [dim]
                        WeightMatrix wq,      // [qDim][dim]
                        WeightMatrix wk,      // [kvDim][dim]
                        WeightMatrix wv,      // [kvDim][dim]
                        float[] qBias,        // [qDim] or null (qwen2)
                        float[] kBias,        // [kvDim] or null
                        float[] vBias,        // [kvDim] or null
                        float[] qNorm,        // [headDim], per query head, or null (qwen3, gemma3)
                        float[] kNorm,        // [headDim], per key head, or null
                        WeightMatrix wo,      // [dim][qDim]
                        float[] postAttnNorm, // [dim] on the attention output, or null (gemma)
                        float[] ffnNorm,      // [dim]
                        WeightMatrix gate,    // [ffn][dim]
                        WeightMatrix up,      // [ffn][dim]
                        WeightMatrix down,    // [dim][ffn]
                        float[] postFfnNorm)  // [dim] on the FFN output, or null (gemma)
    {
        /** The layer's matrices, in the order of the forward pass. */
        List<WeightMatrix> matrices() {
            return List.of(wq, wk, wv, wo, gate, up, down);
        }
    }

    public final WeightMatrix tokenEmbedding; // [vocab][dim]
    public final Layer[] layers;
    public final float[] outputNorm;          // [dim]
    public final WeightMatrix output;         // [vocab][dim], the embedding itself when tied
    public final boolean tiedOutput;
    public final float[] ropeFreqs;           // [ropeDim / 2] divisors of the RoPE frequencies (Llama 3.1+), or null

    private LlamaWeights(WeightMatrix tokenEmbedding, Layer[] layers, float[] outputNorm, WeightMatrix output, boolean tied, float[] ropeFreqs) {
        this.tokenEmbedding = tokenEmbedding;
        this.layers = layers;
        this.outputNorm = outputNorm;
        this.output = output;
        this.tiedOutput = tied;
        this.ropeFreqs = ropeFreqs;
    }

    /** Vocabulary size as the embedding table says: ggml dims [dim, vocab]. */
    public static int vocabSize(GgufFile f) {
        GgufTensorInfo t = f.tensor("token_embd.weight");
        if (t.dims().length != 2 || t.dims()[1] > Integer.MAX_VALUE) {
            throw new GgufException(f.path() + ": tensor 'token_embd.weight' has shape " + Arrays.toString(t.dims()) + ", expected [dim, vocab]");
        }
        return (int) t.dims()[1];
    }

    public static LlamaWeights from(GgufFile f, LlamaConfig c) {
        for (String unsupported : new String[] {"rope_factors_long.weight", "rope_factors_short.weight", "output.bias"}) {
            if (f.findTensor(unsupported).isPresent()) {
                throw new GgufException(f.path() + ": tensor '" + unsupported + "': not supported (phd4j has no RoPE frequency factors nor output bias)");
            }
        }
        ModelShape s = c.shape();
        int dim = s.dim(), qDim = s.qDim(), kvDim = s.kvDim(), ffn = s.ffn(), hd = s.headDim();
        WeightMatrix embedding = matrix(f, "token_embd.weight", s.vocab(), dim);
        Layer[] layers = new Layer[s.layers()];
        for (int i = 0; i < layers.length; i++) {
            String b = "blk." + i + ".";
            for (String bias : new String[] {"attn_qkv.bias", "attn_output.bias", "ffn_gate.bias", "ffn_up.bias", "ffn_down.bias"}) {
                if (f.findTensor(b + bias).isPresent()) throw new GgufException(f.path() + ": tensor '" + b + bias + "': not supported");
            }
            WeightMatrix[] qkv = f.findTensor(b + "attn_qkv.weight").isPresent()
                    ? rowSlices(matrix(f, b + "attn_qkv.weight", qDim + 2 * kvDim, dim), qDim, kvDim, kvDim)
                    : new WeightMatrix[] {matrix(f, b + "attn_q.weight", qDim, dim), matrix(f, b + "attn_k.weight", kvDim, dim),
                            matrix(f, b + "attn_v.weight", kvDim, dim)};
            WeightMatrix[] gateUp = c.fusedUpGate()
                    ? rowSlices(matrix(f, b + "ffn_up.weight", 2 * ffn, dim), ffn, ffn)
                    : new WeightMatrix[] {matrix(f, b + "ffn_gate.weight", ffn, dim), matrix(f, b + "ffn_up.weight", ffn, dim)};
            layers[i] = new Layer(
                    vector(f, b + "attn_norm.weight", dim),
                    qkv[0], qkv[1], qkv[2],
                    optionalVector(f, b + "attn_q.bias", qDim),
                    optionalVector(f, b + "attn_k.bias", kvDim),
                    optionalVector(f, b + "attn_v.bias", kvDim),
                    c.qkNorm() ? vector(f, b + "attn_q_norm.weight", hd) : null,
                    c.qkNorm() ? vector(f, b + "attn_k_norm.weight", hd) : null,
                    matrix(f, b + "attn_output.weight", dim, qDim),
                    c.postNorms() ? vector(f, b + "post_attention_norm.weight", dim) : null,
                    vector(f, b + "ffn_norm.weight", dim),
                    gateUp[0], gateUp[1],
                    matrix(f, b + "ffn_down.weight", dim, ffn),
                    c.postNorms() ? vector(f, b + "post_ffw_norm.weight", dim) : null);
        }
        float[] outNorm = vector(f, "output_norm.weight", dim);
        // gemma2 always reads its output from the embedding (llama.cpp's gemma2.cpp)
        boolean tied = c.architecture().equals("gemma2") || f.findTensor("output.weight").isEmpty();
        WeightMatrix output = tied ? embedding : matrix(f, "output.weight", s.vocab(), dim);
        return new LlamaWeights(embedding, layers, outNorm, output, tied, optionalVector(f, "rope_freqs.weight", c.ropeDim() / 2));
    }

    /** Consecutive row blocks of m, as matrices over sub-segments of its data (no copies): a fused tensor's parts. */
    private static WeightMatrix[] rowSlices(WeightMatrix m, int... rows) {
        WeightMatrix[] parts = new WeightMatrix[rows.length];
        long at = 0;
        for (int i = 0; i < rows.length; i++) {
            long bytes = rows[i] * m.rowBytes();
            parts[i] = new WeightMatrix(m.type(), m.data().asSlice(at, bytes), rows[i], m.cols());
            at += bytes;
        }
        return parts;
    }

    private static GgufTensorInfo checked(GgufFile f, String name, long... expectDims) {
        GgufTensorInfo t = f.tensor(name);
        if (!Arrays.equals(t.dims(), expectDims)) {
            throw new GgufException(f.path() + ": tensor '" + name + "' has shape " + Arrays.toString(t.dims())
                    + ", the model's metadata needs " + Arrays.toString(expectDims));
        }
        if (!t.type().hasKernel()) {
            throw new GgufException(f.path() + ": tensor '" + name + "' has type " + t.type() + ", which phd4j cannot compute yet");
        }
        return t;
    }

    private static WeightMatrix matrix(GgufFile f, String name, int rows, int cols) {
        GgufTensorInfo t = checked(f, name, cols, rows);
        return new WeightMatrix(t.type(), f.tensorData(t), rows, cols);
    }

    private static float[] optionalVector(GgufFile f, String name, int n) {
        return f.findTensor(name).isPresent() ? vector(f, name, n) : null;
    }

    private static float[] vector(GgufFile f, String name, int n) {
        GgufTensorInfo t = checked(f, name, n);
        float[] v = new float[n];
        Kernels.of(t.type()).dequantize(f.tensorData(t), 0, v, 0, n);
        return v;
    }

    /** Bytes of all weight data (the mapped tensors this model uses). */
    public long bytes() {
        long sum = tokenEmbedding.rowBytes() * tokenEmbedding.rows() + 4L * outputNorm.length + (ropeFreqs != null ? 4L * ropeFreqs.length : 0);
        if (!tiedOutput) sum += output.rowBytes() * output.rows();
        for (Layer l : layers) {
            for (float[] v : new float[][] {l.attnNorm(), l.qBias(), l.kBias(), l.vBias(), l.qNorm(), l.kNorm(), l.postAttnNorm(), l.ffnNorm(), l.postFfnNorm()}) {
                if (v != null) sum += 4L * v.length;
            }
            for (WeightMatrix m : l.matrices()) sum += m.rowBytes() * m.rows();
        }
        return sum;
    }

    /**
     * These weights with an interleaved copy ({@link WeightMatrix#withInterleaved}) of every
     * matrix the forward pass multiplies by that has that layout, made in {@code arena}; the
     * embedding rows stay read from the file.
     */
    public LlamaWeights withInterleaved(Arena arena, WorkerPool pool) {
        Layer[] copies = new Layer[layers.length];
        for (int i = 0; i < layers.length; i++) {
            Layer l = layers[i];
            copies[i] = new Layer(l.attnNorm(), l.wq().withInterleaved(arena, pool), l.wk().withInterleaved(arena, pool),
                    l.wv().withInterleaved(arena, pool), l.qBias(), l.kBias(), l.vBias(), l.qNorm(), l.kNorm(),
                    l.wo().withInterleaved(arena, pool), l.postAttnNorm(), l.ffnNorm(), l.gate().withInterleaved(arena, pool),
                    l.up().withInterleaved(arena, pool), l.down().withInterleaved(arena, pool), l.postFfnNorm());
        }
        return new LlamaWeights(tokenEmbedding, copies, outputNorm, output.withInterleaved(arena, pool), tiedOutput, ropeFreqs);
    }

    /** Bytes of the interleaved copies: made ({@code made}), or as {@link #withInterleaved} would make them. */
    public long interleavedBytes(boolean made) {
        long sum = 0;
        for (WeightMatrix m : decodeMatrices()) sum += made ? m.interleavedBytes() : m.interleavedBytesIfRepacked();
        return sum;
    }

    /** The matrices a decode step multiplies by: every layer's and the output. */
    private List<WeightMatrix> decodeMatrices() {
        List<WeightMatrix> all = new ArrayList<>();
        for (Layer l : layers) all.addAll(l.matrices());
        all.add(output);
        return all;
    }

    /** Dequantizes the embedding of one token into dst[off .. off + dim). */
    public void embed(int token, float[] dst, int off) {
        WeightMatrix e = tokenEmbedding;
        Kernels.of(e.type()).dequantize(e.data(), token * e.rowBytes(), dst, off, e.cols());
    }

}
