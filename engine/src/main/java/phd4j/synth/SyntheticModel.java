package phd4j.synth;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import phd4j.convert.FileType;
import phd4j.convert.Progress;
import phd4j.gguf.GgufFile;
import phd4j.gguf.GgufValue;
import phd4j.gguf.GgufWriter;
import phd4j.model.ModelShape;
import phd4j.phd.PhdConfig;
import phd4j.simd.GgmlType;
import phd4j.simd.Kernels;

/**
 * Writes a GGUF model with random weights, for benchmarks and tests. A llama model has every
 * weight matrix (the embedding and output ones included) ~ N(0, 0.02^2) in the requested type,
 * norm weights 1 in F32. The other architectures are for comparing engines, so nothing may hide
 * a mistake: matrices ~ N(0, 1 / cols), which keeps projections, attention scores and logits
 * of order 1 (not near-uniform attention), norm weights 1 + N(0, 0.1^2) and biases N(0, 0.1^2)
 * in F32, and small sliding windows and soft-caps that short prompts reach. The weights are
 * generated while the file is written, a megabyte at a time, so a model of any size needs only
 * that much heap. The same options and seed give the same bytes: each
 * chunk of rows has its own generator, seeded from (seed, tensor, chunk).
 */
public final class SyntheticModel {
    /** GPT-2's initialisation scale: small enough that activations stay finite through any depth. */
    static final double STD = 0.02;
    private static final int CHUNK_FLOATS = 1 << 18;
    /** The smallest vocabulary the synthetic tokenizer fits in: three specials and the 256 byte tokens. */
    public static final int MIN_SYNTHETIC_VOCAB = SyntheticVocab.FIXED;

    private SyntheticModel() {}

    /** Shapes known by name: benchmark sizes from the PHD issue, and a tiny one for tests. */
    public static final String SHAPE_NAMES = "tiny, 110m, 1.1b";

    /** A named shape ({@link #SHAPE_NAMES}, any case), or null if the name is unknown. */
    public static ModelShape namedShape(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            // head size 16, 2 query heads per kv head, vocab just above the 259 fixed tokens
            case "tiny" -> new ModelShape(64, 2, 4, 2, 128, 320);
            // the llama2.c 110M model's shape
            case "110m" -> new ModelShape(768, 12, 12, 12, 2048, 32000);
            // TinyLlama 1.1B's shape
            case "1.1b" -> new ModelShape(2048, 22, 32, 4, 5632, 32000);
            default -> null;
        };
    }

    /** What {@code phd synth} writes; a non-null {@code phd} adds the phd.* keys. */
    public record Options(Arch arch, ModelShape shape, GgmlType type, long seed, int context, GgufFile vocab, PhdConfig phd) {
        /** A llama model. */
        public Options(ModelShape shape, GgmlType type, long seed, int context, GgufFile vocab, PhdConfig phd) {
            this(Arch.LLAMA, shape, type, seed, context, vocab, phd);
        }

        public Options {
            if (!Kernels.canQuantizeTo(type)) {
                throw new IllegalArgumentException("cannot write " + type + " weights (" + Kernels.SUPPORTED + ")");
            }
            if (context < 1) throw new IllegalArgumentException("context must be >= 1, got " + context);
            for (int cols : new int[] {shape.dim(), shape.ffn(), shape.qDim()}) {
                if (cols % type.blockSize != 0) {
                    throw new IllegalArgumentException("row length " + cols + " is not a multiple of the " + type + " block size " + type.blockSize);
                }
            }
        }
    }

    /** What a tensor holds, which decides its values and type. */
    private enum Kind { MATRIX, NORM, BIAS, ROPE_FREQS }

    private record Tensor(String name, long[] dims, Kind kind) {
        Tensor(String name, long cols, long rows) {
            this(name, new long[] {cols, rows}, Kind.MATRIX);
        }

        long elements() {
            return dims.length == 1 ? dims[0] : dims[0] * dims[1];
        }
    }

    /** Sliding window of the synthetic gemma models: a few tokens, so short prompts have local layers that differ from global ones. */
    static final int WINDOW = 3;
    /** Attention and final soft-caps of the synthetic gemma2 models: small enough to bend scores and logits of order 1. */
    static final float ATTN_SOFTCAP = 2f, FINAL_SOFTCAP = 3f;

    /** Writes the model to {@code out} (atomically). */
    public static void write(Path out, Options o, Progress progress) {
        ModelShape s = o.shape();
        if (o.vocab() != null) s = s.withVocab(o.vocab().getStringArray("tokenizer.ggml.tokens").length);
        Map<String, GgufValue> metadata = metadata(s, o);
        List<Tensor> tensors = tensors(o.arch(), s);
        long total = 0;
        for (Tensor t : tensors) total += typeOf(t, o).bytesFor(t.elements());
        long[] done = {0};
        long totalBytes = total;
        List<GgufWriter.TensorData> data = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            GgmlType type = typeOf(t, o);
            int index = i;
            data.add(new GgufWriter.TensorData(t.name(), type, t.dims(), type.bytesFor(t.elements()),
                    sink -> generate(t, index, type, o.arch(), o.seed(), sink, n -> progress.update(done[0] += n, totalBytes, t.name()))));
        }
        GgufWriter.write(out, metadata, data);
    }

    private static GgmlType typeOf(Tensor t, Options o) {
        return t.kind() == Kind.MATRIX ? o.type() : GgmlType.F32;
    }

    /** The tensors of the model in the order convert_hf_to_gguf.py writes them; ggml dims are [cols, rows]. */
    private static List<Tensor> tensors(Arch arch, ModelShape s) {
        int dim = s.dim(), q = s.qDim(), kv = s.kvDim(), hd = s.headDim(), ffn = s.ffn();
        List<Tensor> t = new ArrayList<>();
        if (arch == Arch.LLAMA31) t.add(new Tensor("rope_freqs.weight", new long[] {hd / 2}, Kind.ROPE_FREQS));
        t.add(new Tensor("token_embd.weight", dim, s.vocab()));
        for (int l = 0; l < s.layers(); l++) {
            String b = "blk." + l + ".";
            t.add(new Tensor(b + "attn_norm.weight", new long[] {dim}, Kind.NORM));
            if (arch == Arch.PHI3) {
                t.add(new Tensor(b + "attn_qkv.weight", dim, q + 2L * kv));
            } else {
                t.add(new Tensor(b + "attn_q.weight", dim, q));
                t.add(new Tensor(b + "attn_k.weight", dim, kv));
                t.add(new Tensor(b + "attn_v.weight", dim, kv));
            }
            if (arch == Arch.QWEN2) {
                t.add(new Tensor(b + "attn_q.bias", new long[] {q}, Kind.BIAS));
                t.add(new Tensor(b + "attn_k.bias", new long[] {kv}, Kind.BIAS));
                t.add(new Tensor(b + "attn_v.bias", new long[] {kv}, Kind.BIAS));
            }
            if (arch.qkNorm()) {
                t.add(new Tensor(b + "attn_q_norm.weight", new long[] {hd}, Kind.NORM));
                t.add(new Tensor(b + "attn_k_norm.weight", new long[] {hd}, Kind.NORM));
            }
            t.add(new Tensor(b + "attn_output.weight", q, dim));
            if (arch.gemma()) t.add(new Tensor(b + "post_attention_norm.weight", new long[] {dim}, Kind.NORM));
            t.add(new Tensor(b + "ffn_norm.weight", new long[] {dim}, Kind.NORM));
            if (arch == Arch.PHI3) {
                t.add(new Tensor(b + "ffn_up.weight", dim, 2L * ffn)); // gate rows, then up rows
            } else {
                t.add(new Tensor(b + "ffn_gate.weight", dim, ffn));
                t.add(new Tensor(b + "ffn_up.weight", dim, ffn));
            }
            t.add(new Tensor(b + "ffn_down.weight", ffn, dim));
            if (arch.gemma()) t.add(new Tensor(b + "post_ffw_norm.weight", new long[] {dim}, Kind.NORM));
        }
        t.add(new Tensor("output_norm.weight", new long[] {dim}, Kind.NORM));
        if (!arch.gemma()) t.add(new Tensor("output.weight", dim, s.vocab())); // gemma's output is its embedding
        return t;
    }

    private static Map<String, GgufValue> metadata(ModelShape s, Options o) {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        Arch arch = o.arch();
        String a = arch.architecture() + ".";
        m.put("general.architecture", GgufValue.ofString(arch.architecture()));
        // no architecture in the name: llama.cpp looks for Phi-3's special tokens in a vocabulary when the name says "phi3"
        m.put("general.name", GgufValue.ofString("synthetic " + s.dims() + " " + o.type() + " seed " + o.seed()));
        m.put(a + "context_length", GgufValue.ofUInt32(o.context()));
        m.put(a + "embedding_length", GgufValue.ofUInt32(s.dim()));
        m.put(a + "block_count", GgufValue.ofUInt32(s.layers()));
        m.put(a + "feed_forward_length", GgufValue.ofUInt32(s.ffn()));
        m.put(a + "attention.head_count", GgufValue.ofUInt32(s.heads()));
        m.put(a + "attention.head_count_kv", GgufValue.ofUInt32(s.kvHeads()));
        m.put(a + "rope.dimension_count", GgufValue.ofUInt32(s.headDim()));
        m.put(a + "attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        m.put(a + "rope.freq_base", GgufValue.ofFloat32(10000f));
        m.put(a + "vocab_size", GgufValue.ofUInt32(s.vocab()));
        if (arch.qkNorm() || arch.gemma() || s.qDim() != s.dim()) {
            m.put(a + "attention.key_length", GgufValue.ofUInt32(s.headDim()));
            m.put(a + "attention.value_length", GgufValue.ofUInt32(s.headDim()));
        }
        if (arch.gemma()) m.put(a + "attention.sliding_window", GgufValue.ofUInt32(WINDOW));
        if (arch == Arch.GEMMA2) {
            m.put(a + "attn_logit_softcapping", GgufValue.ofFloat32(ATTN_SOFTCAP));
            m.put(a + "final_logit_softcapping", GgufValue.ofFloat32(FINAL_SOFTCAP));
        }
        if (arch == Arch.GEMMA3) {
            m.put(a + "rope.freq_base", GgufValue.ofFloat32(1000000f)); // the global layers' base, as Gemma 3's; local ones use 10000
            m.put(a + "rope.scaling.type", GgufValue.ofString("linear"));
            m.put(a + "rope.scaling.factor", GgufValue.ofFloat32(8f));
        }
        m.put("general.file_type", GgufValue.ofUInt32(FileType.of(o.type())));
        m.put("general.quantization_version", GgufValue.ofUInt32(2));
        if (o.vocab() != null) {
            for (Map.Entry<String, GgufValue> e : o.vocab().metadata().entrySet()) {
                if (e.getKey().startsWith("tokenizer.")) m.put(e.getKey(), e.getValue());
            }
        } else {
            m.putAll(SyntheticVocab.keys(s.vocab()));
        }
        if (o.phd() != null) o.phd().putKeys(m);
        return m;
    }

    /** Generates and converts one tensor a chunk of rows at a time. */
    private static void generate(Tensor t, int index, GgmlType type, Arch arch, long seed, GgufWriter.Sink sink,
                                 java.util.function.LongConsumer wrote) throws IOException {
        int cols = (int) t.dims()[0];
        long rows = t.elements() / cols;
        int rowsPerChunk = Math.max(1, CHUNK_FLOATS / cols);
        long rowBytes = type.bytesFor(cols);
        float[] x = new float[rowsPerChunk * cols];
        try (Arena arena = Arena.ofShared()) { // shared: the rows are written from the pool's threads
            MemorySegment buf = arena.allocate(rowBytes * rowsPerChunk);
            for (long r = 0, chunk = 0; r < rows; r += rowsPerChunk, chunk++) {
                int n = (int) Math.min(rowsPerChunk, rows - r);
                if (t.kind() == Kind.NORM && arch == Arch.LLAMA) {
                    java.util.Arrays.fill(x, 1f);
                } else if (t.kind() == Kind.ROPE_FREQS) {
                    // 1 for the fastest pair up to 8 for the slowest, as Llama 3.1's factors run
                    for (int i = 0; i < cols; i++) x[i] = 1f + 7f * i / Math.max(1, cols - 1);
                } else {
                    SplittableRandom rng = new SplittableRandom(mix(seed, index, chunk));
                    double std = switch (t.kind()) {
                        case MATRIX -> arch == Arch.LLAMA ? STD : 1 / Math.sqrt(cols);
                        default -> 0.1; // norms (around 1) and biases
                    };
                    double mean = t.kind() == Kind.NORM ? 1 : 0;
                    for (int i = 0; i < n * cols; i++) x[i] = (float) (mean + rng.nextGaussian() * std);
                }
                // rows are independent: the K-quant searches are slow enough to want every core
                java.util.stream.IntStream.range(0, n).parallel()
                        .forEach(i -> Kernels.quantize(type, x, i * cols, cols, buf, i * rowBytes));
                sink.write(buf.asSlice(0, n * rowBytes));
                wrote.accept(n * rowBytes);
            }
        }
    }

    /**
     * A well-spread generator seed for one chunk. SplittableRandom seeds that differ by its fixed
     * increment give shifted copies of one stream, so (seed, tensor, chunk) go through a 64-bit
     * mixer (the splitmix64 finaliser) rather than being simply added.
     */
    static long mix(long seed, int tensor, long chunk) {
        long z = seed;
        for (long v : new long[] {tensor, chunk}) {
            z = (z ^ v) * 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
        }
        return z;
    }
}
