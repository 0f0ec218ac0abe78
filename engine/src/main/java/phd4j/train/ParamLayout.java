package phd4j.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import phd4j.model.ModelShape;

/**
 * Where each named parameter tensor lives in the one flat float array that holds all of them
 * (llm.c's "one allocation carved into tensors"). Gradients and AdamW moments use the same layout.
 * Tensor names and order are llama.cpp's GGUF names; a matrix is [rows = out][cols = in], row-major,
 * which in GGUF's dimension order is {cols, rows}.
 */
public final class ParamLayout {

    /** One tensor: elements [offset, offset + rows * cols) of the flat array. A vector has rows = 1. */
    public record Tensor(String name, int offset, int rows, int cols, boolean matrix) {
        public int size() {
            return rows * cols;
        }

        /** GGUF dims, innermost first. */
        public long[] ggufDims() {
            return matrix ? new long[] {cols, rows} : new long[] {cols};
        }
    }

    /** Offsets of one block's tensors. */
    public record Block(Tensor attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
                        Tensor ffnNorm, Tensor gate, Tensor up, Tensor down) {}

    private final List<Tensor> tensors;
    private final Map<String, Tensor> byName = new LinkedHashMap<>();
    public final Tensor embedding;     // [vocab][dim]
    public final Block[] blocks;
    public final Tensor outputNorm;    // [dim]
    public final Tensor output;        // [vocab][dim]; == embedding when tied
    private final int size;

    private ParamLayout(ModelSpec spec) {
        ModelShape s = spec.shape();
        List<Tensor> list = new ArrayList<>();
        int[] at = {0};
        java.util.function.BiFunction<String, int[], Tensor> add = (name, rc) -> {
            Tensor t = new Tensor(name, at[0], rc[0], rc[1], rc[0] > 1);
            at[0] = Math.addExact(at[0], t.size());
            list.add(t);
            return t;
        };
        int d = s.dim(), kv = s.kvDim();
        embedding = add.apply("token_embd.weight", new int[] {s.vocab(), d});
        blocks = new Block[s.layers()];
        for (int l = 0; l < s.layers(); l++) {
            String b = "blk." + l + ".";
            blocks[l] = new Block(
                    add.apply(b + "attn_norm.weight", new int[] {1, d}),
                    add.apply(b + "attn_q.weight", new int[] {d, d}),
                    add.apply(b + "attn_k.weight", new int[] {kv, d}),
                    add.apply(b + "attn_v.weight", new int[] {kv, d}),
                    add.apply(b + "attn_output.weight", new int[] {d, d}),
                    add.apply(b + "ffn_norm.weight", new int[] {1, d}),
                    add.apply(b + "ffn_gate.weight", new int[] {s.ffn(), d}),
                    add.apply(b + "ffn_up.weight", new int[] {s.ffn(), d}),
                    add.apply(b + "ffn_down.weight", new int[] {d, s.ffn()}));
        }
        outputNorm = add.apply("output_norm.weight", new int[] {1, d});
        output = spec.tied() ? embedding : add.apply("output.weight", new int[] {s.vocab(), d});
        size = at[0];
        tensors = Collections.unmodifiableList(list);
        for (Tensor t : tensors) byName.put(t.name(), t);
    }

    public static ParamLayout of(ModelSpec spec) {
        return new ParamLayout(spec);
    }

    /** All tensors in file order (a tied output is not listed twice). */
    public List<Tensor> tensors() {
        return tensors;
    }

    public Tensor tensor(String name) {
        Tensor t = byName.get(name);
        if (t == null) throw new IllegalArgumentException("no tensor " + name);
        return t;
    }

    /** Total floats. */
    public int size() {
        return size;
    }
}
