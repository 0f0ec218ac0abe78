package phd4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import phd4j.gguf.GgufException;
import phd4j.gguf.GgufFile;
import phd4j.simd.Rope;

/**
 * The hyper-parameters of a decoder of the Llama family, read from GGUF metadata ({@code <arch>.*}
 * keys): llama itself and the architectures that differ from it only by options of one forward
 * pass (qwen2, qwen3, phi3, gemma2, gemma3, ...). What a file's tensors say (biases, a fused QKV
 * matrix) is found by {@link LlamaWeights}; what only the architecture says is decided here, once,
 * following llama.cpp's {@code src/models/<arch>.cpp}.
 *
 * @param shape          the tensors' sizes; the head size is embedding / heads unless {@code attention.key_length} says otherwise
 * @param ropeDim        leading dimensions of each head that RoPE rotates
 * @param embeddingScale factor on the token embeddings (gemma: sqrt(dim))
 * @param qkNorm         an RMSNorm over each query and key head before RoPE (attn_q_norm, attn_k_norm)
 * @param fusedUpGate    ffn_up holds [gate; up] stacked (phi3), there is no ffn_gate
 * @param activation     the gate's activation in the gated feed-forward
 * @param postNorms      RMSNorms on the attention and FFN outputs before the residual adds (gemma)
 * @param queryScale     factor on q.k before softmax
 * @param attnSoftcap    attention scores become c * tanh(s / c) when positive (gemma2)
 * @param finalSoftcap   logits become c * tanh(l / c) when positive (gemma2)
 * @param slidingWindow  the local layers' attention span and RoPE, or null when every layer is global
 */
public record LlamaConfig(String architecture, ModelShape shape, int trainedContext, float rmsEps,
                          Rope.Style ropeStyle, int ropeDim, float ropeFreqBase, float ropeFreqScale,
                          float embeddingScale, boolean qkNorm, boolean fusedUpGate, Activation activation,
                          boolean postNorms, float queryScale, float attnSoftcap, float finalSoftcap,
                          SlidingWindow slidingWindow) {

    /** The activation of a gated feed-forward: act(x Wgate^T) * (x Wup^T). */
    public enum Activation { SILU, GELU_TANH }

    /**
     * Local attention: layer l is local iff l % pattern < pattern - 1 (llama.cpp's
     * set_swa_pattern), and a local query at position p sees keys at positions above p - window.
     * Local layers rotate with their own RoPE base and scale (gemma3: no scaling).
     */
    public record SlidingWindow(int window, int pattern, float ropeFreqBase, float ropeFreqScale) {
        public boolean isLocal(int layer) {
            return layer % pattern < pattern - 1;
        }
    }

    /** Architectures this forward pass runs, and the RoPE pairing llama.cpp uses for each. */
    static Rope.Style ropeStyleOf(String arch) {
        return switch (arch) {
            // not granite (its residual, embedding and logit multipliers) nor stablelm (LayerNorm, not RMSNorm)
            case "llama", "mistral" -> Rope.Style.NORMAL;
            case "qwen2", "qwen3", "phi3", "gemma2", "gemma3" -> Rope.Style.NEOX;
            default -> null;
        };
    }

    public static LlamaConfig from(GgufFile f, int vocabSize) {
        String arch = f.getString("general.architecture");
        Rope.Style style = ropeStyleOf(arch);
        if (style == null) {
            throw new GgufException(f.path() + ": general.architecture: unsupported architecture '" + arch
                    + "' (phd4j runs llama, mistral, qwen2, qwen3, phi3, gemma2, gemma3)");
        }
        String p = arch + ".";
        int dim = positive(f, p + "embedding_length", f.getInt(p + "embedding_length"));
        int layers = positive(f, p + "block_count", f.getInt(p + "block_count"));
        // each layer has several tensors: a count beyond the file's tensors is refused here, before
        // per-layer arrays are sized by it (found by FuzzTest: OutOfMemoryError for block_count 2^31-1)
        if (layers > f.tensors().size()) {
            throw new GgufException(f.path() + ": " + p + "block_count: " + layers + " layers, but the file has only "
                    + f.tensors().size() + " tensors");
        }
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
        boolean gemma = arch.equals("gemma2") || arch.equals("gemma3");
        // gemma's 27B models scale by the width per head rather than the key length (llama.cpp's gemma2/3.cpp)
        boolean gemma27b = arch.equals("gemma2") && layers == 46 || arch.equals("gemma3") && layers == 62;
        float queryScale = (float) (1.0 / Math.sqrt(gemma27b ? dim / heads : headDim));
        float attnCap = arch.equals("gemma2") ? f.getFloat(p + "attn_logit_softcapping", 50f) : 0f;
        float finalCap = switch (arch) {
            case "gemma2" -> f.getFloat(p + "final_logit_softcapping", 30f);
            case "gemma3" -> f.getFloat(p + "final_logit_softcapping", 0f);
            default -> 0f;
        };
        if (!gemma && f.has(p + "attn_logit_softcapping")) {
            throw new GgufException(f.path() + ": " + p + "attn_logit_softcapping: not supported for " + arch);
        }
        ModelShape shape;
        try {
            shape = new ModelShape(dim, layers, heads, kvHeads, ffn, vocabSize, headDim);
        } catch (IllegalArgumentException e) { // the sizes are positive and the kv heads divide: only the head size is left
            throw new GgufException(f.path() + ": " + p + "attention.key_length: " + e.getMessage());
        }
        return new LlamaConfig(arch, shape, ctx, eps, style, ropeDim, base, scale,
                gemma ? (float) Math.sqrt(dim) : 1f,
                arch.equals("qwen3") || arch.equals("gemma3"),
                arch.equals("phi3"),
                gemma ? Activation.GELU_TANH : Activation.SILU,
                gemma, queryScale, attnCap, finalCap,
                slidingWindow(f, arch, base, scale));
    }

    /**
     * gemma2: every other layer local (window 4096 unless said), gemma3: five local layers in six
     * when the file gives a window. phi3 files may name a window that llama.cpp ignores (its
     * phi3.cpp: "Phi SWA is currently disabled"), and so do we; elsewhere a window is refused.
     */
    private static SlidingWindow slidingWindow(GgufFile f, String arch, float base, float scale) {
        String p = arch + ".";
        String key = p + "attention.sliding_window";
        return switch (arch) {
            case "gemma2" -> new SlidingWindow(positive(f, key, f.getInt(key, 4096)),
                    positive(f, p + "attention.sliding_window_pattern", f.getInt(p + "attention.sliding_window_pattern", 2)),
                    f.getFloat(p + "rope.freq_base_swa", base), scale);
            case "gemma3" -> f.getInt(key, 0) <= 0 ? null : new SlidingWindow(f.getInt(key),
                    positive(f, p + "attention.sliding_window_pattern", f.getInt(p + "attention.sliding_window_pattern", 6)),
                    f.getFloat(p + "rope.freq_base_swa", 10000f), 1f);
            case "phi3" -> null;
            default -> {
                if (f.getInt(key, 0) > 0) throw new GgufException(f.path() + ": " + key + ": sliding-window attention is not supported for " + arch);
                yield null;
            }
        };
    }

    private static int positive(GgufFile f, String key, int v) {
        if (v <= 0) throw new GgufException(f.path() + ": " + key + ": must be positive, is " + v);
        return v;
    }

    /** The options that differ from llama's, for {@code phd info}: "" for a llama model. */
    public String options() {
        List<String> o = new ArrayList<>();
        if (ropeStyle == Rope.Style.NEOX) o.add("NEOX rope");
        if (embeddingScale != 1f) o.add("embeddings x " + embeddingScale);
        if (qkNorm) o.add("q/k norms");
        if (fusedUpGate) o.add("fused gate+up");
        if (activation != Activation.SILU) o.add(activation.name().toLowerCase(Locale.ROOT) + " gate");
        if (postNorms) o.add("post norms");
        if (attnSoftcap > 0) o.add("attention soft-cap " + attnSoftcap);
        if (finalSoftcap > 0) o.add("logit soft-cap " + finalSoftcap);
        if (slidingWindow != null) {
            o.add("sliding window " + slidingWindow.window() + " on " + (slidingWindow.pattern() - 1) + " of " + slidingWindow.pattern()
                    + " layers (rope base " + slidingWindow.ropeFreqBase() + ")");
        }
        return String.join(", ", o);
    }

    /** Does layer l attend only to a sliding window of recent keys. */
    public boolean isLocal(int layer) {
        return slidingWindow != null && slidingWindow.isLocal(layer);
    }

    /** The RoPE of the global layers (all layers without a sliding window); freqFactors: the file's rope_freqs, or null. */
    public Rope rope(float[] freqFactors) {
        return new Rope(ropeStyle, shape.headDim(), ropeDim, ropeFreqBase, ropeFreqScale, freqFactors);
    }

    /** The RoPE of the local layers. */
    public Rope localRope() {
        return new Rope(ropeStyle, shape.headDim(), ropeDim, slidingWindow.ropeFreqBase(), slidingWindow.ropeFreqScale());
    }
}
