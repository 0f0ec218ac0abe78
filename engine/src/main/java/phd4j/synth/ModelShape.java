package phd4j.synth;

import java.util.Locale;

/**
 * The hyper-parameters of a Llama-layout model that decide its tensors' shapes.
 *
 * @param name    a label for the file's general.name ("110m", or "custom" for --dims)
 * @param headDim size of a query/key head: dim / heads, or another (qwen3 and gemma have wider heads)
 */
public record ModelShape(String name, int dim, int layers, int heads, int kvHeads, int ffn, int vocab, int headDim) {
    /** Shapes known by name: benchmark sizes from the PHD issue, and a tiny one for tests. */
    public static final String NAMES = "tiny, 110m, 1.1b";

    public ModelShape {
        if (dim < 1 || layers < 1 || heads < 1 || kvHeads < 1 || ffn < 1 || vocab < 1 || headDim < 1) {
            throw new IllegalArgumentException("model dims must be positive: " + describe(dim, layers, heads, kvHeads, ffn, vocab));
        }
        if (heads % kvHeads != 0) throw new IllegalArgumentException("heads " + heads + " is not a multiple of kv heads " + kvHeads);
        if (headDim % 2 != 0) throw new IllegalArgumentException("head size " + headDim + " must be even (RoPE rotates pairs)");
    }

    /** A shape whose heads split dim: headDim = dim / heads. */
    public ModelShape(String name, int dim, int layers, int heads, int kvHeads, int ffn, int vocab) {
        this(name, dim, layers, heads, kvHeads, ffn, vocab, splitHeads(dim, heads));
    }

    private static int splitHeads(int dim, int heads) {
        if (heads < 1 || dim % heads != 0) throw new IllegalArgumentException("dim " + dim + " is not a multiple of heads " + heads);
        return dim / heads;
    }

    /** A named shape, or null if the name is unknown. */
    public static ModelShape named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            // head size 16, 2 query heads per kv head, vocab just above the 259 fixed tokens
            case "tiny" -> new ModelShape("tiny", 64, 2, 4, 2, 128, 320);
            // the llama2.c 110M model's shape
            case "110m" -> new ModelShape("110m", 768, 12, 12, 12, 2048, 32000);
            // TinyLlama 1.1B's shape
            case "1.1b" -> new ModelShape("1.1b", 2048, 22, 32, 4, 5632, 32000);
            default -> null;
        };
    }

    /** dim,layers,heads,kvHeads,ffn,vocab[,headDim]; throws IllegalArgumentException when malformed. */
    public static ModelShape parse(String dims) {
        String[] p = dims.split(",", -1);
        if (p.length != 6 && p.length != 7) {
            throw new IllegalArgumentException("--dims needs 6 or 7 numbers (dim,layers,heads,kvHeads,ffn,vocab[,headDim]), got '" + dims + "'");
        }
        int[] v = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            try {
                v[i] = Integer.parseInt(p[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--dims: '" + p[i] + "' is not a number");
            }
        }
        return p.length == 7 ? new ModelShape("custom", v[0], v[1], v[2], v[3], v[4], v[5], v[6])
                : new ModelShape("custom", v[0], v[1], v[2], v[3], v[4], v[5]);
    }

    /** Width of the concatenated query heads: heads x headDim. */
    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim();
    }

    /** The same shape with another vocabulary size (a --vocab file decides it). */
    public ModelShape withVocab(int n) {
        return new ModelShape(name, dim, layers, heads, kvHeads, ffn, n, headDim);
    }

    @Override
    public String toString() {
        return name + " (" + describe(dim, layers, heads, kvHeads, ffn, vocab) + (headDim * heads != dim ? ", head size " + headDim : "") + ")";
    }

    private static String describe(int dim, int layers, int heads, int kvHeads, int ffn, int vocab) {
        return "dim " + dim + ", " + layers + " layers, " + heads + " heads, " + kvHeads + " kv heads, ffn " + ffn + ", vocab " + vocab;
    }
}
