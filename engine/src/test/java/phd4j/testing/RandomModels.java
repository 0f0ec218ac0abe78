package phd4j.testing;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import phd4j.gguf.GgufArray;
import phd4j.gguf.GgufValue;
import phd4j.gguf.GgufWriter;
import phd4j.simd.GgmlType;

/**
 * Writes small random Llama GGUF files (F32 weights, seeded) that {@code phd4j.Model.load} accepts:
 * llama.* metadata, the usual tensors and a SentencePiece ("llama") vocabulary of
 * {@code <unk>, <s>, </s>}, the 256 byte tokens and a few letter pieces. Weights are
 * N(0, 1/fan_in) so activations and logits stay O(1); Q and K are scaled by 1.5 (attention scores of std about 2) so attention
 * is far from uniform; norm weights are near 1. Optional PHD keys (DESIGN.md section 3).
 */
public final class RandomModels {
    private RandomModels() {}

    /** The shape of a model and its optional PHD keys (null = key absent). */
    public record Spec(int dim, int layers, int heads, int kvHeads, int ffn, int vocab, int ctx, long seed,
                       boolean tiedOutput, Integer phdRepeat, String phdVariant, Integer phdWindow, Integer phdChunk) {
        public Spec {
            if (dim % heads != 0 || heads % kvHeads != 0 || (dim / heads) % 2 != 0) {
                throw new IllegalArgumentException("need heads | dim, kvHeads | heads and an even head size");
            }
            if (vocab < 3 + 256 + 1) throw new IllegalArgumentException("vocab must be >= 260 (specials, bytes, a piece)");
        }

        public static Spec of(int dim, int layers, int heads, int kvHeads, int ffn, int vocab, int ctx, long seed) {
            return new Spec(dim, layers, heads, kvHeads, ffn, vocab, ctx, seed, false, null, null, null, null);
        }

        public Spec tied() {
            return new Spec(dim, layers, heads, kvHeads, ffn, vocab, ctx, seed, true, phdRepeat, phdVariant, phdWindow, phdChunk);
        }

        /** Adds phd.repeat / phd.variant / phd.window / phd.chunk (any may be null). */
        public Spec withPhd(Integer repeat, String variant, Integer window, Integer chunk) {
            return new Spec(dim, layers, heads, kvHeads, ffn, vocab, ctx, seed, tiedOutput, repeat, variant, window, chunk);
        }

        public String fileName() {
            return "random-d" + dim + "-l" + layers + "-h" + heads + "-kv" + kvHeads + "-f" + ffn + "-v" + vocab
                    + "-s" + seed + (tiedOutput ? "-tied" : "")
                    + (phdRepeat == null ? "" : "-K" + phdRepeat) + (phdVariant == null ? "" : "-" + phdVariant)
                    + (phdWindow == null ? "" : "-W" + phdWindow) + (phdChunk == null ? "" : "-C" + phdChunk) + ".gguf";
        }
    }

    public static final int UNK = 0, BOS = 1, EOS = 2;
    public static final float RMS_EPS = 1e-5f;

    /** Writes the model into {@code folder} (named after the spec) and returns its path. */
    public static Path write(Path folder, Spec s) {
        Random rnd = new Random(s.seed());
        int headDim = s.dim() / s.heads(), kvDim = s.kvHeads() * headDim;

        Map<String, GgufValue> meta = new LinkedHashMap<>();
        meta.put("general.architecture", GgufValue.ofString("llama"));
        meta.put("general.name", GgufValue.ofString("random " + s.fileName()));
        meta.put("llama.context_length", GgufValue.ofUInt32(s.ctx()));
        meta.put("llama.embedding_length", GgufValue.ofUInt32(s.dim()));
        meta.put("llama.block_count", GgufValue.ofUInt32(s.layers()));
        meta.put("llama.feed_forward_length", GgufValue.ofUInt32(s.ffn()));
        meta.put("llama.attention.head_count", GgufValue.ofUInt32(s.heads()));
        meta.put("llama.attention.head_count_kv", GgufValue.ofUInt32(s.kvHeads()));
        meta.put("llama.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(RMS_EPS));
        meta.put("llama.rope.freq_base", GgufValue.ofFloat32(10000f));
        meta.put("llama.rope.dimension_count", GgufValue.ofUInt32(headDim));
        if (s.phdRepeat() != null) meta.put("phd.repeat", GgufValue.ofUInt32(s.phdRepeat()));
        if (s.phdVariant() != null) meta.put("phd.variant", GgufValue.ofString(s.phdVariant()));
        if (s.phdWindow() != null) meta.put("phd.window", GgufValue.ofUInt32(s.phdWindow()));
        if (s.phdChunk() != null) meta.put("phd.chunk", GgufValue.ofUInt32(s.phdChunk()));
        vocabulary(meta, s.vocab());

        List<GgufWriter.TensorData> t = new ArrayList<>();
        // a tied embedding is also the output matrix: scaled so the logits stay O(1)
        double embStd = s.tiedOutput() ? 3.0 / Math.sqrt(s.dim()) : 1.0;
        t.add(f32("token_embd.weight", gaussian(rnd, s.dim() * s.vocab(), embStd), s.dim(), s.vocab()));
        for (int l = 0; l < s.layers(); l++) {
            String b = "blk." + l + ".";
            t.add(f32(b + "attn_norm.weight", nearOne(rnd, s.dim()), s.dim()));
            t.add(f32(b + "attn_q.weight", gaussian(rnd, s.dim() * s.dim(), 1.5 / Math.sqrt(s.dim())), s.dim(), s.dim()));
            t.add(f32(b + "attn_k.weight", gaussian(rnd, s.dim() * kvDim, 1.5 / Math.sqrt(s.dim())), s.dim(), kvDim));
            t.add(f32(b + "attn_v.weight", gaussian(rnd, s.dim() * kvDim, 1.0 / Math.sqrt(s.dim())), s.dim(), kvDim));
            t.add(f32(b + "attn_output.weight", gaussian(rnd, s.dim() * s.dim(), 1.0 / Math.sqrt(s.dim())), s.dim(), s.dim()));
            t.add(f32(b + "ffn_norm.weight", nearOne(rnd, s.dim()), s.dim()));
            t.add(f32(b + "ffn_gate.weight", gaussian(rnd, s.dim() * s.ffn(), 1.0 / Math.sqrt(s.dim())), s.dim(), s.ffn()));
            t.add(f32(b + "ffn_up.weight", gaussian(rnd, s.dim() * s.ffn(), 1.0 / Math.sqrt(s.dim())), s.dim(), s.ffn()));
            t.add(f32(b + "ffn_down.weight", gaussian(rnd, s.ffn() * s.dim(), 1.0 / Math.sqrt(s.ffn())), s.ffn(), s.dim()));
        }
        t.add(f32("output_norm.weight", nearOne(rnd, s.dim()), s.dim()));
        if (!s.tiedOutput()) {
            t.add(f32("output.weight", gaussian(rnd, s.dim() * s.vocab(), 1.0 / Math.sqrt(s.dim())), s.dim(), s.vocab()));
        }
        Path out = folder.resolve(s.fileName());
        GgufWriter.write(out, meta, t);
        return out;
    }

    /** {@code <unk>}, {@code <s>}, {@code </s>}, {@code <0x00>} .. {@code <0xFF>}, then letter pieces. */
    static void vocabulary(Map<String, GgufValue> meta, int vocab) {
        Set<String> pieces = new LinkedHashSet<>();
        pieces.add("▁");
        for (char c = 'a'; c <= 'z'; c++) pieces.add(String.valueOf(c));
        for (char c = 'a'; c <= 'z'; c++) pieces.add("▁" + c);
        for (char c = 'a'; c <= 'z'; c++) for (char d = 'a'; d <= 'z'; d++) pieces.add("" + c + d);
        String[] tokens = new String[vocab];
        float[] scores = new float[vocab];
        int[] types = new int[vocab];
        tokens[UNK] = "<unk>";
        types[UNK] = 2;   // UNKNOWN
        tokens[BOS] = "<s>";
        types[BOS] = 3;   // CONTROL
        tokens[EOS] = "</s>";
        types[EOS] = 3;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = String.format("<0x%02X>", b);
            types[3 + b] = 6;   // BYTE
        }
        var it = pieces.iterator();
        for (int i = 259; i < vocab; i++) {
            if (!it.hasNext()) throw new IllegalArgumentException("vocab " + vocab + " is larger than the piece list");
            tokens[i] = it.next();
            types[i] = 1;   // NORMAL
            scores[i] = -(i - 259) - 1;   // earlier pieces are preferred merges
        }
        meta.put("tokenizer.ggml.model", GgufValue.ofString("llama"));
        meta.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(tokens)));
        meta.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufArray.ofFloats(scores)));
        meta.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufArray.ofInt32s(types)));
        meta.put("tokenizer.ggml.bos_token_id", GgufValue.ofUInt32(BOS));
        meta.put("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(EOS));
        meta.put("tokenizer.ggml.unknown_token_id", GgufValue.ofUInt32(UNK));
    }

    private static float[] gaussian(Random rnd, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * std);
        return v;
    }

    private static float[] nearOne(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (1 + 0.1 * rnd.nextGaussian());
        return v;
    }

    /** An F32 tensor; dims in GGUF order (dims[0] innermost). */
    private static GgufWriter.TensorData f32(String name, float[] v, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return new GgufWriter.TensorData(name, GgmlType.F32, dims, MemorySegment.ofArray(b.array()));
    }
}
