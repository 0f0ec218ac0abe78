package phd4j.model;

import java.util.Arrays;
import phd4j.gguf.GgufException;
import phd4j.gguf.GgufFile;
import phd4j.gguf.GgufTensorInfo;
import phd4j.simd.Kernels;
import phd4j.simd.WeightMatrix;

/**
 * The weights of a Llama-layout model: matrices are slices of the mapped GGUF file (never
 * copied); the small norm vectors are dequantized onto the heap once. Every tensor's shape and
 * type is checked here, so the forward pass can trust them.
 */
public final class LlamaWeights {

    /** One transformer block. Matrix shapes are [rows = out][cols = in]. */
    public record Layer(float[] attnNorm,   // [dim]
                        WeightMatrix wq,    // [qDim][dim]
                        WeightMatrix wk,    // [kvDim][dim]
                        WeightMatrix wv,    // [kvDim][dim]
                        WeightMatrix wo,    // [dim][qDim]
                        float[] ffnNorm,    // [dim]
                        WeightMatrix gate,  // [ffn][dim]
                        WeightMatrix up,    // [ffn][dim]
                        WeightMatrix down)  // [dim][ffn]
    {}

    public final WeightMatrix tokenEmbedding; // [vocab][dim]
    public final Layer[] layers;
    public final float[] outputNorm;          // [dim]
    public final WeightMatrix output;         // [vocab][dim], the embedding itself when tied
    public final boolean tiedOutput;

    private LlamaWeights(WeightMatrix tokenEmbedding, Layer[] layers, float[] outputNorm, WeightMatrix output, boolean tied) {
        this.tokenEmbedding = tokenEmbedding;
        this.layers = layers;
        this.outputNorm = outputNorm;
        this.output = output;
        this.tiedOutput = tied;
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
        WeightMatrix embedding = matrix(f, "token_embd.weight", c.vocabSize(), c.dim());
        Layer[] layers = new Layer[c.layers()];
        for (int i = 0; i < layers.length; i++) {
            String b = "blk." + i + ".";
            layers[i] = new Layer(
                    vector(f, b + "attn_norm.weight", c.dim()),
                    matrix(f, b + "attn_q.weight", c.qDim(), c.dim()),
                    matrix(f, b + "attn_k.weight", c.kvDim(), c.dim()),
                    matrix(f, b + "attn_v.weight", c.kvDim(), c.dim()),
                    matrix(f, b + "attn_output.weight", c.dim(), c.qDim()),
                    vector(f, b + "ffn_norm.weight", c.dim()),
                    matrix(f, b + "ffn_gate.weight", c.ffnDim(), c.dim()),
                    matrix(f, b + "ffn_up.weight", c.ffnDim(), c.dim()),
                    matrix(f, b + "ffn_down.weight", c.dim(), c.ffnDim()));
        }
        float[] outNorm = vector(f, "output_norm.weight", c.dim());
        boolean tied = f.findTensor("output.weight").isEmpty();
        WeightMatrix output = tied ? embedding : matrix(f, "output.weight", c.vocabSize(), c.dim());
        return new LlamaWeights(embedding, layers, outNorm, output, tied);
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

    private static float[] vector(GgufFile f, String name, int n) {
        GgufTensorInfo t = checked(f, name, n);
        float[] v = new float[n];
        Kernels.of(t.type()).dequantize(f.tensorData(t), 0, v, 0, n);
        return v;
    }

    /** Bytes of all weight data (the mapped tensors this model uses). */
    public long bytes() {
        long sum = tokenEmbedding.rowBytes() * tokenEmbedding.rows() + 4L * outputNorm.length;
        if (!tiedOutput) sum += output.rowBytes() * output.rows();
        for (Layer l : layers) {
            sum += 4L * (l.attnNorm().length + l.ffnNorm().length);
            for (WeightMatrix m : new WeightMatrix[] {l.wq(), l.wk(), l.wv(), l.wo(), l.gate(), l.up(), l.down()}) {
                sum += m.rowBytes() * m.rows();
            }
        }
        return sum;
    }

    /** Dequantizes the embedding of one token into dst[off .. off + dim). */
    public void embed(int token, float[] dst, int off) {
        WeightMatrix e = tokenEmbedding;
        Kernels.of(e.type()).dequantize(e.data(), token * e.rowBytes(), dst, off, e.cols());
    }

}
