package phd4j.model;

import phd4j.gguf.GgufException;
import phd4j.gguf.GgufFile;
import phd4j.simd.Rope;

/**
 * The hyper-parameters of a Llama-layout model, read from GGUF metadata ({@code <arch>.*} keys).
 *
 * @param headDim  size of one query/key head (embedding / heads unless {@code attention.key_length} says otherwise)
 * @param ropeDim  leading dimensions of each head that RoPE rotates
 */
public record LlamaConfig(String architecture, int dim, int layers, int heads, int kvHeads, int headDim,
                          int ffnDim, int vocabSize, int trainedContext, float rmsEps,
                          Rope.Style ropeStyle, int ropeDim, float ropeFreqBase, float ropeFreqScale) {

    /** Architectures with the Llama tensor layout, and the RoPE pairing llama.cpp uses for each. */
    static Rope.Style ropeStyleOf(String arch) {
        return switch (arch) {
            case "llama", "mistral", "granite" -> Rope.Style.NORMAL;
            case "qwen2", "qwen3", "phi3", "stablelm" -> Rope.Style.NEOX;
            default -> null;
        };
    }

    public static LlamaConfig from(GgufFile f, int vocabSize) {
        String arch = f.getString("general.architecture");
        Rope.Style style = ropeStyleOf(arch);
        if (style == null) {
            throw new GgufException(f.path() + ": general.architecture: unsupported architecture '" + arch + "' (phd4j runs llama-layout models)");
        }
        String p = arch + ".";
        int dim = positive(f, p + "embedding_length", f.getInt(p + "embedding_length"));
        int layers = positive(f, p + "block_count", f.getInt(p + "block_count"));
        int heads = positive(f, p + "attention.head_count", f.getInt(p + "attention.head_count"));
        int kvHeads = positive(f, p + "attention.head_count_kv", f.getInt(p + "attention.head_count_kv", heads));
        if (heads % kvHeads != 0) {
            throw new GgufException(f.path() + ": " + p + "attention.head_count_kv: " + kvHeads + " does not divide head_count " + heads);
        }
        int headDim = positive(f, p + "attention.key_length", f.getInt(p + "attention.key_length", dim / heads));
        int valueDim = f.getInt(p + "attention.value_length", headDim);
        if (valueDim != headDim) {
            throw new GgufException(f.path() + ": " + p + "attention.value_length: " + valueDim + " differs from key_length " + headDim + " (not supported)");
        }
        int ffn = positive(f, p + "feed_forward_length", f.getInt(p + "feed_forward_length"));
        int ctx = positive(f, p + "context_length", f.getInt(p + "context_length", 2048));
        float eps = f.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f);
        int ropeDim = f.getInt(p + "rope.dimension_count", headDim);
        if (ropeDim <= 0 || ropeDim > headDim || ropeDim % 2 != 0) {
            throw new GgufException(f.path() + ": " + p + "rope.dimension_count: " + ropeDim + " must be even and in 2.." + headDim);
        }
        float base = f.getFloat(p + "rope.freq_base", 10000f);
        float scale = 1f;
        String scalingType = f.findString(p + "rope.scaling.type").orElse("none");
        if (scalingType.equals("linear")) {
            scale = 1f / f.getFloat(p + "rope.scaling.factor", 1f);
        } else if (!scalingType.equals("none")) {
            throw new GgufException(f.path() + ": " + p + "rope.scaling.type: '" + scalingType + "' is not supported (none, linear)");
        }
        if (!(base > 0) || !(eps > 0) || !(scale > 0)) {
            throw new GgufException(f.path() + ": rope.freq_base, rope scaling and rms epsilon must be positive");
        }
        return new LlamaConfig(arch, dim, layers, heads, kvHeads, headDim, ffn, vocabSize, ctx, eps, style, ropeDim, base, scale);
    }

    private static int positive(GgufFile f, String key, int v) {
        if (v <= 0) throw new GgufException(f.path() + ": " + key + ": must be positive, is " + v);
        return v;
    }

    /** Width of the key (and value) vectors of one token: kvHeads x headDim. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Width of the concatenated query heads: heads x headDim. */
    public int qDim() {
        return heads * headDim;
    }

    public Rope rope() {
        return new Rope(ropeStyle, headDim, ropeDim, ropeFreqBase, ropeFreqScale);
    }
}
