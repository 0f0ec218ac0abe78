package phd4j.model;

/**
 * The sizes that decide the tensors of a Llama-layout model: what a GGUF file's metadata says
 * ({@link LlamaConfig#shape()}), what {@code phd synth} writes and what {@code phd train} trains.
 * The one place these sizes are checked.
 *
 * @param dim     embedding width
 * @param layers  transformer blocks
 * @param heads   query heads
 * @param kvHeads key/value heads (GQA), divides heads
 * @param ffn     hidden width of the gated feed-forward
 * @param vocab   vocabulary size (rows of the embedding)
 * @param headDim size of a query/key head: dim / heads, or another (qwen3 and gemma have wider heads)
 */
public record ModelShape(int dim, int layers, int heads, int kvHeads, int ffn, int vocab, int headDim) {
    public ModelShape {
        if (dim < 1 || layers < 1 || heads < 1 || kvHeads < 1 || ffn < 1 || vocab < 1 || headDim < 1) {
            throw new IllegalArgumentException("model sizes must be positive: " + describe(dim, layers, heads, kvHeads, ffn, vocab));
        }
        if (heads % kvHeads != 0) throw new IllegalArgumentException("kv heads " + kvHeads + " do not divide heads " + heads);
        if (headDim % 2 != 0) throw new IllegalArgumentException("head size " + headDim + " must be even (RoPE rotates pairs)");
    }

    /** A shape whose heads split dim: headDim = dim / heads. */
    public ModelShape(int dim, int layers, int heads, int kvHeads, int ffn, int vocab) {
        this(dim, layers, heads, kvHeads, ffn, vocab, splitHeads(dim, heads));
    }

    private static int splitHeads(int dim, int heads) {
        if (heads < 1 || dim % heads != 0) throw new IllegalArgumentException("dim " + dim + " is not a multiple of heads " + heads);
        return dim / heads;
    }

    /** dim,layers,heads,kvHeads,ffn,vocab[,headDim], as {@link #dims()} writes it; throws IllegalArgumentException when malformed. */
    public static ModelShape parse(String dims) {
        String[] p = dims.split(",", -1);
        if (p.length != 6 && p.length != 7) {
            throw new IllegalArgumentException("a shape is 6 or 7 numbers (dim,layers,heads,kvHeads,ffn,vocab[,headDim]), got '" + dims + "'");
        }
        int[] v = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            try {
                v[i] = Integer.parseInt(p[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + p[i] + "' is not a number in the shape '" + dims + "'");
            }
        }
        return p.length == 7 ? new ModelShape(v[0], v[1], v[2], v[3], v[4], v[5], v[6])
                : new ModelShape(v[0], v[1], v[2], v[3], v[4], v[5]);
    }

    /** The shape as {@link #parse} reads it; the head size only where heads do not split dim. */
    public String dims() {
        return dim + "," + layers + "," + heads + "," + kvHeads + "," + ffn + "," + vocab + (headsSplitDim() ? "" : "," + headDim);
    }

    /** Width of the concatenated query heads: heads x headDim. */
    public int qDim() {
        return heads * headDim;
    }

    /** Width of the concatenated key (or value) heads: kvHeads x headDim. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    public boolean headsSplitDim() {
        return heads * headDim == dim;
    }

    /** The same shape with another vocabulary size (a tokenizer decides it). */
    public ModelShape withVocab(int n) {
        return new ModelShape(dim, layers, heads, kvHeads, ffn, n, headDim);
    }

    @Override
    public String toString() {
        return describe(dim, layers, heads, kvHeads, ffn, vocab) + (headsSplitDim() ? "" : ", head size " + headDim);
    }

    private static String describe(int dim, int layers, int heads, int kvHeads, int ffn, int vocab) {
        return "dim " + dim + ", " + layers + " layers, " + heads + " heads, " + kvHeads + " kv heads, ffn " + ffn + ", vocab " + vocab;
    }
}
