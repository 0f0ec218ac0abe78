package phd4j.phd;

import java.nio.file.Path;
import java.util.Arrays;
import phd4j.gguf.GgufFile;
import phd4j.gguf.GgufTensorInfo;
import phd4j.simd.Kernels;

/**
 * A deliberately plain PHD-Transformer forward pass for tests: DESIGN.md section 1 taken
 * literally. The T tokens are expanded to K*T rows in the interleaved layout p0.1 .. p0.K, p1.1,
 * ... (row index p*K + s-1), every copy with its token's embedding and RoPE position p; a full
 * boolean mask [K*T][K*T] is built from the rule functions below; one forward runs over all rows
 * at once in double precision. No caches, nothing shared with {@code phd4j.model.Forward}.
 * Written for clarity, not speed: only tiny models.
 *
 * <p>Architectures: llama, and gemma2 / gemma3 as llama.cpp's src/models/gemma2.cpp and
 * gemma3.cpp compute them: embeddings x sqrt(dim), NEOX RoPE, heads of attention.key_length,
 * GELU-tanh gate, RMSNorms on the attention and FFN outputs before the residual adds, per-head
 * q/k RMSNorms (gemma3), attention and final soft-caps (gemma2), and local layers that see only
 * keys at positions above p - window. On a local layer the PHD mask and the position window
 * combine by AND: query (p, s) sees key (q, t) iff {@link #allowed} says so and q > p - window.
 */
public final class DenseReference {

    /** The mask variants of DESIGN.md: rules 1+2 (PHD), +3 (SWA), +3+4 (CSWA). */
    public enum Variant {
        PHD("phd"), SWA("phd-swa"), CSWA("phd-cswa");

        public final String key;

        Variant(String key) {
            this.key = key;
        }

        public static Variant of(String key) {
            for (Variant v : values()) if (v.key.equals(key)) return v;
            throw new IllegalArgumentException("unknown PHD variant '" + key + "'");
        }
    }

    /** K copies per position, the variant, window W (SWA, CSWA) and chunk C (CSWA). */
    public record Settings(int k, Variant variant, int window, int chunk) {
        public Settings {
            if (k < 1) throw new IllegalArgumentException("K must be >= 1");
            if (variant != Variant.PHD && window < 0) throw new IllegalArgumentException("W must be >= 0");
            if (variant == Variant.CSWA && chunk < 1) throw new IllegalArgumentException("C must be >= 1");
        }

        public static Settings phd(int k) {
            return new Settings(k, Variant.PHD, 0, 1);
        }

        public static Settings swa(int k, int w) {
            return new Settings(k, Variant.SWA, w, 1);
        }

        public static Settings cswa(int k, int w, int c) {
            return new Settings(k, Variant.CSWA, w, c);
        }

        @Override
        public String toString() {
            return switch (variant) {
                case PHD -> "PHD-" + k;
                case SWA -> "PHD-SWA-" + k + "-" + window;
                case CSWA -> "PHD-CSWA-" + k + "-" + window + "-" + chunk;
            };
        }
    }

    // ---------------------------------------------------------------------------------------
    // The attention rules of DESIGN.md section 1. Query (p, s) and key (q, t): positions p, q
    // counted from 0, copies s, t counted from 1 (copy 1 = the original token).
    // ---------------------------------------------------------------------------------------

    /** Rule 1: t = 1 and q < p (an earlier original). */
    static boolean rule1(int p, int s, int q, int t) {
        return t == 1 && q < p;
    }

    /** Rule 2: q = p and t <= s (same position, causal over copies). */
    static boolean rule2(int p, int s, int q, int t) {
        return q == p && t <= s;
    }

    /**
     * Rule 3 (PHD-SWA): t >= 2, q < p, and (q, t) is among the W most recent hidden tokens before
     * position p, counted in position-major order. The hidden tokens before p, in that order, are
     * (0,2) .. (0,K), (1,2) .. (1,K), ..., (p-1,K); (q, t) is number q*(K-1) + (t-2) of them and
     * there are p*(K-1), so the W most recent are those numbered >= p*(K-1) - W.
     *
     * <p>Only hidden queries (s >= 2) use it: DESIGN.md's "Consequence: originals never see
     * hidden tokens, so the original stream is a vanilla causal LM". (The shared fixture, made by
     * an independent reference, agrees: see DenseReferenceTest.)
     */
    static boolean rule3(int k, int w, int p, int s, int q, int t) {
        if (s < 2 || t < 2 || q >= p) return false;
        int index = q * (k - 1) + (t - 2);
        return index >= p * (k - 1) - w;
    }

    /** Rule 4 (PHD-CSWA): rule 3, and additionally chunk(q) = chunk(p), chunk(x) = floor(x / C). */
    static boolean rule4(int k, int w, int c, int p, int s, int q, int t) {
        return rule3(k, w, p, s, q, t) && Math.floorDiv(q, c) == Math.floorDiv(p, c);
    }

    /** May query (p, s) attend to key (q, t) under these settings? */
    public static boolean allowed(Settings set, int p, int s, int q, int t) {
        if (rule1(p, s, q, t) || rule2(p, s, q, t)) return true;
        return switch (set.variant()) {
            case PHD -> false;
            case SWA -> rule3(set.k(), set.window(), p, s, q, t);
            case CSWA -> rule4(set.k(), set.window(), set.chunk(), p, s, q, t);
        };
    }

    /** The full mask over K*T rows, row/column index p*K + (s-1). */
    public static boolean[][] mask(Settings set, int positions) {
        int k = set.k(), n = k * positions;
        boolean[][] m = new boolean[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                m[i][j] = allowed(set, i / k, i % k + 1, j / k, j % k + 1);
            }
        }
        return m;
    }

    /**
     * The mask of a local layer: the PHD mask, and the key's position above p - window (llama.cpp's
     * standard sliding window, on positions, whatever the copies).
     */
    public static boolean[][] localMask(Settings set, int positions, int window) {
        int k = set.k();
        boolean[][] m = mask(set, positions);
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m.length; j++) m[i][j] &= j / k > i / k - window;
        }
        return m;
    }

    // ---------------------------------------------------------------------------------------
    // Weights, as plain double arrays. Matrices are [out][in].
    // ---------------------------------------------------------------------------------------

    /** One block; qNorm, kNorm (gemma3) and the post norms (gemma) are null where the architecture has none. */
    record Layer(double[] attnNorm, double[][] wq, double[][] wk, double[][] wv, double[] qNorm, double[] kNorm,
                 double[][] wo, double[] postAttnNorm, double[] ffnNorm, double[][] gate, double[][] up,
                 double[][] down, double[] postFfnNorm) {}

    final String arch;
    final int dim, layers, heads, kvHeads, headDim, ffn, vocab, ropeDim;
    final double eps, freqBase, freqScale;
    final boolean gemma, neox;
    final double embeddingScale;  // gemma: sqrt(dim)
    final double queryScale;      // 1 / sqrt(headDim)
    final double attnSoftcap;     // gemma2: scores become c * tanh(s / c); 0 = none
    final double finalSoftcap;    // gemma2 (and gemma3 if the file says): logits become c * tanh(l / c); 0 = none
    final int window;             // the local layers' span in positions; 0 = every layer global
    final int pattern;            // layer l is local iff l % pattern < pattern - 1
    final double localFreqBase, localFreqScale;
    final double[][] embedding;   // [vocab][dim]
    final Layer[] blocks;
    final double[] outputNorm;    // [dim]
    final double[][] output;      // [vocab][dim]

    private DenseReference(GgufFile f) {
        arch = f.getString("general.architecture");
        gemma = arch.equals("gemma2") || arch.equals("gemma3");
        if (!arch.equals("llama") && !gemma) {
            throw new IllegalArgumentException("the reference does llama, gemma2 and gemma3, not " + arch);
        }
        String a = arch + ".";
        dim = f.getInt(a + "embedding_length");
        layers = f.getInt(a + "block_count");
        heads = f.getInt(a + "attention.head_count");
        kvHeads = f.getInt(a + "attention.head_count_kv", heads);
        headDim = f.getInt(a + "attention.key_length", dim / heads);
        if (f.getInt(a + "attention.value_length", headDim) != headDim) throw new IllegalArgumentException("value_length != key_length");
        ffn = f.getInt(a + "feed_forward_length");
        ropeDim = f.getInt(a + "rope.dimension_count", headDim);
        eps = f.getFloat(a + "attention.layer_norm_rms_epsilon");
        freqBase = f.getFloat(a + "rope.freq_base", 10000f);
        String scaling = f.has(a + "rope.scaling.type") ? f.getString(a + "rope.scaling.type") : "none";
        if (scaling.equals("linear") && gemma) {
            freqScale = 1.0 / f.getFloat(a + "rope.scaling.factor", 1f);   // position / factor
        } else if (scaling.equals("none")) {
            freqScale = 1;
        } else {
            throw new IllegalArgumentException("the reference does not do RoPE scaling '" + scaling + "' for " + arch);
        }
        if (f.findTensor("rope_freqs.weight").isPresent()) throw new IllegalArgumentException("the reference has no rope_freqs");
        neox = gemma;
        embeddingScale = gemma ? Math.sqrt(dim) : 1;
        // llama.cpp scales the 27B gemmas' queries by dim / heads instead; the reference does not
        if (arch.equals("gemma2") && layers == 46 || arch.equals("gemma3") && layers == 62) {
            throw new IllegalArgumentException("the reference does not do the 27B gemmas' query scale");
        }
        queryScale = 1.0 / Math.sqrt(headDim);
        attnSoftcap = arch.equals("gemma2") ? f.getFloat(a + "attn_logit_softcapping", 50f) : 0;
        finalSoftcap = switch (arch) {
            case "gemma2" -> f.getFloat(a + "final_logit_softcapping", 30f);
            case "gemma3" -> f.getFloat(a + "final_logit_softcapping", 0f);
            default -> 0;
        };
        switch (arch) {
            case "gemma2" -> {   // every other layer local, window 4096 unless said; local RoPE as global unless freq_base_swa
                window = f.getInt(a + "attention.sliding_window", 4096);
                pattern = f.getInt(a + "attention.sliding_window_pattern", 2);
                localFreqBase = f.getFloat(a + "rope.freq_base_swa", (float) freqBase);
                localFreqScale = freqScale;
            }
            case "gemma3" -> {   // five local layers in six when the file has a window; local RoPE base 10000, unscaled
                window = Math.max(0, f.getInt(a + "attention.sliding_window", 0));
                pattern = f.getInt(a + "attention.sliding_window_pattern", 6);
                localFreqBase = f.getFloat(a + "rope.freq_base_swa", 10000f);
                localFreqScale = 1;
            }
            default -> {
                window = 0;
                pattern = 1;
                localFreqBase = freqBase;
                localFreqScale = freqScale;
            }
        }
        embedding = matrix(f, "token_embd.weight");
        vocab = embedding.length;
        blocks = new Layer[layers];
        for (int l = 0; l < layers; l++) {
            String b = "blk." + l + ".";
            boolean qk = arch.equals("gemma3");
            blocks[l] = new Layer(vector(f, b + "attn_norm.weight"), matrix(f, b + "attn_q.weight"),
                    matrix(f, b + "attn_k.weight"), matrix(f, b + "attn_v.weight"),
                    qk ? vector(f, b + "attn_q_norm.weight") : null, qk ? vector(f, b + "attn_k_norm.weight") : null,
                    matrix(f, b + "attn_output.weight"), gemma ? vector(f, b + "post_attention_norm.weight") : null,
                    vector(f, b + "ffn_norm.weight"), matrix(f, b + "ffn_gate.weight"), matrix(f, b + "ffn_up.weight"),
                    matrix(f, b + "ffn_down.weight"), gemma ? vector(f, b + "post_ffw_norm.weight") : null);
        }
        outputNorm = vector(f, "output_norm.weight");
        // gemma2 always reads its output from the embedding (llama.cpp's gemma2.cpp)
        output = !arch.equals("gemma2") && f.findTensor("output.weight").isPresent() ? matrix(f, "output.weight") : embedding;
    }

    /** Does layer l attend only to keys at positions above p - window. */
    boolean isLocal(int l) {
        return window > 0 && l % pattern < pattern - 1;
    }

    public static DenseReference load(Path gguf) {
        try (GgufFile f = GgufFile.open(gguf)) {
            return new DenseReference(f);
        }
    }

    public int vocabSize() {
        return vocab;
    }

    private static double[] vector(GgufFile f, String name) {
        GgufTensorInfo t = f.tensor(name);
        float[] v = new float[(int) t.elementCount()];
        Kernels.of(t.type()).dequantize(f.tensorData(t), 0, v, 0, v.length);
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }

    /** GGUF dims [in, out] (dims[0] innermost) become double[out][in]. */
    private static double[][] matrix(GgufFile f, String name) {
        GgufTensorInfo t = f.tensor(name);
        int cols = (int) t.dims()[0], rows = (int) t.dims()[1];
        double[] flat = vector(f, name);
        double[][] m = new double[rows][];
        for (int r = 0; r < rows; r++) m[r] = Arrays.copyOfRange(flat, r * cols, (r + 1) * cols);
        return m;
    }

    // ---------------------------------------------------------------------------------------
    // The forward pass.
    // ---------------------------------------------------------------------------------------

    /** Copy-K logits at every position: result[p] are the next-token logits after tokens[p]. */
    public double[][] logits(Settings set, int[] tokens) {
        return logits(set, tokens, 0);
    }

    /** Copy-K logits of the last position only. */
    public double[] lastLogits(Settings set, int[] tokens) {
        return logits(set, tokens, tokens.length - 1)[0];
    }

    /** Copy-K logits of positions from .. T-1. */
    public double[][] logits(Settings set, int[] tokens, int from) {
        int k = set.k(), positions = tokens.length, n = k * positions;
        boolean[][] globalMask = mask(set, positions);
        boolean[][] localMask = window > 0 ? localMask(set, positions, window) : null;
        int[] pos = new int[n];
        double[][] x = new double[n][];
        for (int p = 0; p < positions; p++) {
            for (int s = 1; s <= k; s++) {
                int r = p * k + s - 1;
                pos[r] = p;                                   // every copy: RoPE position p
                x[r] = embedding[tokens[p]].clone();          // every copy: the token's embedding
                for (int i = 0; i < dim; i++) x[r][i] *= embeddingScale;
            }
        }
        for (int li = 0; li < layers; li++) {
            Layer l = blocks[li];
            boolean local = isLocal(li);
            boolean[][] mask = local ? localMask : globalMask;
            double base = local ? localFreqBase : freqBase, scale = local ? localFreqScale : freqScale;
            double[][] xn = new double[n][];
            for (int r = 0; r < n; r++) xn[r] = rmsNorm(x[r], l.attnNorm());
            double[][] q = new double[n][], key = new double[n][], v = new double[n][];
            for (int r = 0; r < n; r++) {
                q[r] = matVec(l.wq(), xn[r]);
                key[r] = matVec(l.wk(), xn[r]);
                v[r] = matVec(l.wv(), xn[r]);
                if (l.qNorm() != null) {
                    headNorm(q[r], heads, l.qNorm());
                    headNorm(key[r], kvHeads, l.kNorm());
                }
                rope(q[r], heads, pos[r], base, scale);
                rope(key[r], kvHeads, pos[r], base, scale);
            }
            for (int r = 0; r < n; r++) {
                double[] o = matVec(l.wo(), attention(q[r], key, v, mask[r]));
                add(x[r], l.postAttnNorm() != null ? rmsNorm(o, l.postAttnNorm()) : o);
                double[] h = rmsNorm(x[r], l.ffnNorm());
                double[] g = matVec(l.gate(), h), u = matVec(l.up(), h);
                for (int i = 0; i < ffn; i++) g[i] = (gemma ? geluTanh(g[i]) : g[i] / (1 + Math.exp(-g[i]))) * u[i];   // GELU or SwiGLU
                double[] d = matVec(l.down(), g);
                add(x[r], l.postFfnNorm() != null ? rmsNorm(d, l.postFfnNorm()) : d);
            }
        }
        double[][] out = new double[positions - from][];
        for (int p = from; p < positions; p++) {
            int r = p * k + k - 1;                            // copy K
            out[p - from] = matVec(output, rmsNorm(x[r], outputNorm));
            if (finalSoftcap > 0) for (int i = 0; i < vocab; i++) out[p - from][i] = finalSoftcap * Math.tanh(out[p - from][i] / finalSoftcap);
        }
        return out;
    }

    static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /** RMSNorm of each head of x on its own, with the same weight [headDim] for every head (gemma3's q/k norms); in place. */
    void headNorm(double[] x, int nHeads, double[] weight) {
        for (int h = 0; h < nHeads; h++) {
            double[] head = rmsNorm(Arrays.copyOfRange(x, h * headDim, (h + 1) * headDim), weight);
            System.arraycopy(head, 0, x, h * headDim, headDim);
        }
    }

    /** Softmax attention of one query row over the keys its mask row allows; GQA head sharing. */
    double[] attention(double[] q, double[][] keys, double[][] values, boolean[] allowed) {
        double[] out = new double[heads * headDim];
        int group = heads / kvHeads;
        for (int h = 0; h < heads; h++) {
            int kvh = h / group;
            double[] score = new double[keys.length];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < keys.length; j++) {
                if (!allowed[j]) continue;
                double d = 0;
                for (int i = 0; i < headDim; i++) d += q[h * headDim + i] * keys[j][kvh * headDim + i];
                score[j] = d * queryScale;
                if (attnSoftcap > 0) score[j] = attnSoftcap * Math.tanh(score[j] / attnSoftcap);   // before the mask's softmax
                max = Math.max(max, score[j]);
            }
            double sum = 0;
            for (int j = 0; j < keys.length; j++) {
                if (!allowed[j]) continue;
                score[j] = Math.exp(score[j] - max);
                sum += score[j];
            }
            for (int j = 0; j < keys.length; j++) {
                if (!allowed[j]) continue;
                double w = score[j] / sum;
                for (int i = 0; i < headDim; i++) out[h * headDim + i] += w * values[j][kvh * headDim + i];
            }
        }
        return out;
    }

    double[] rmsNorm(double[] x, double[] weight) {
        double ss = 0;
        for (double e : x) ss += e * e;
        double inv = 1.0 / Math.sqrt(ss / x.length + eps);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] * inv * weight[i];
        return out;
    }

    /** RoPE of the global layers (every llama layer); StreamingReference's. */
    double[] rope(double[] x, int nHeads, int position) {
        return rope(x, nHeads, position, freqBase, freqScale);
    }

    /**
     * RoPE within each head, angle position * scale * base^(-2i/ropeDim) for pair i < ropeDim/2:
     * NORMAL pairing (2i, 2i+1) for llama, NEOX (i, i + ropeDim/2) for gemma; in place.
     */
    double[] rope(double[] x, int nHeads, int position, double base, double scale) {
        for (int h = 0; h < nHeads; h++) {
            for (int i = 0; i < ropeDim / 2; i++) {
                double theta = position * scale * Math.pow(base, -2.0 * i / ropeDim);
                double c = Math.cos(theta), s = Math.sin(theta);
                int a = neox ? h * headDim + i : h * headDim + 2 * i, b = neox ? a + ropeDim / 2 : a + 1;
                double x0 = x[a], x1 = x[b];
                x[a] = x0 * c - x1 * s;
                x[b] = x0 * s + x1 * c;
            }
        }
        return x;
    }

    static double[] matVec(double[][] m, double[] x) {
        double[] out = new double[m.length];
        for (int r = 0; r < m.length; r++) {
            double[] row = m[r];
            double d = 0;
            for (int i = 0; i < x.length; i++) d += row[i] * x[i];
            out[r] = d;
        }
        return out;
    }

    static void add(double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) x[i] += y[i];
    }
}
