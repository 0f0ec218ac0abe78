package phd4j.phd;

import java.util.ArrayList;
import java.util.List;

/**
 * A brute-force model of PHD (variant PHD) decoding with a full original-token KV ring, for
 * tests: one position per {@link #step}, built on {@link DenseReference}'s weights and maths.
 *
 * <p>Eviction policy (StreamingLLM): the ring holds {@code ctx} originals, the current one
 * included. When more than ctx originals have been seen, the first {@code keep} ("sinks") and
 * the most recent {@code ctx - keep} are kept. With e originals evicted so far, sinks keep RoPE
 * positions 0 .. keep-1 and every other kept original, like the current position, sits at its
 * true position minus e: distances inside the window are true, the distance from (p - e) to a
 * sink s is (p - e) - s.
 *
 * <p>Every layer keeps the un-rotated K and the V of each kept original (computed when that
 * token was processed, as a KV cache does) and re-rotates all of them from scratch at each step.
 * Hidden copies (K > 1) attend to the same kept originals plus the copies of their own position
 * up to themselves (rules 1 and 2), and are forgotten after the step.
 */
final class StreamingReference {
    private record Entry(int truePosition, double[] key, double[] value) {}

    private final DenseReference m;
    private final int k, ctx, keep;
    private final List<List<Entry>> kept = new ArrayList<>();  // per layer
    private int position;                                       // true position of the next token

    StreamingReference(DenseReference model, int k, int ctx, int keep) {
        if (keep >= ctx) throw new IllegalArgumentException("keep must be < ctx");
        if (!model.arch.equals("llama")) throw new IllegalArgumentException("the streaming reference does llama only, not " + model.arch);
        this.m = model;
        this.k = k;
        this.ctx = ctx;
        this.keep = keep;
        for (int l = 0; l < model.layers; l++) kept.add(new ArrayList<>());
    }

    int position() {
        return position;
    }

    /** Processes the next token (K rows) and returns the copy-K logits after it. */
    double[] step(int token) {
        int p = position++;
        int evicted = Math.max(0, p + 1 - ctx);
        int shifted = p - evicted;                    // the current position's RoPE position
        double[][] x = new double[k][];
        for (int s = 0; s < k; s++) x[s] = m.embedding[token].clone();
        for (int l = 0; l < m.layers; l++) {
            DenseReference.Layer w = m.blocks[l];
            List<Entry> ring = kept.get(l);
            double[][] q = new double[k][], key = new double[k][], v = new double[k][];
            for (int s = 0; s < k; s++) {
                double[] xn = m.rmsNorm(x[s], w.attnNorm());
                q[s] = m.rope(DenseReference.matVec(w.wq(), xn), m.heads, shifted);
                key[s] = DenseReference.matVec(w.wk(), xn);   // un-rotated
                v[s] = DenseReference.matVec(w.wv(), xn);
            }
            ring.add(new Entry(p, key[0], v[0]));            // the original joins the ring
            if (ring.size() > ctx) ring.remove(keep);          // the oldest non-sink leaves
            if (ring.size() != Math.min(p + 1, ctx)) throw new IllegalStateException("ring bookkeeping");

            // keys every row sees: the kept originals, rotated at their current positions
            List<double[]> keys = new ArrayList<>(), values = new ArrayList<>();
            for (Entry e : ring) {
                int rp = e.truePosition() < keep ? e.truePosition() : e.truePosition() - evicted;
                keys.add(m.rope(e.key().clone(), m.kvHeads, rp));
                values.add(e.value());
            }
            double[][] attended = new double[k][];
            for (int s = 0; s < k; s++) {
                List<double[]> ks = new ArrayList<>(keys), vs = new ArrayList<>(values);
                for (int t = 1; t <= s; t++) {                 // own hidden copies 2 .. s+1 (rule 2)
                    ks.add(m.rope(key[t].clone(), m.kvHeads, shifted));
                    vs.add(v[t]);
                }
                boolean[] all = new boolean[ks.size()];
                java.util.Arrays.fill(all, true);
                attended[s] = m.attention(q[s], ks.toArray(double[][]::new), vs.toArray(double[][]::new), all);
            }
            for (int s = 0; s < k; s++) {
                DenseReference.add(x[s], DenseReference.matVec(w.wo(), attended[s]));
                double[] h = m.rmsNorm(x[s], w.ffnNorm());
                double[] g = DenseReference.matVec(w.gate(), h), u = DenseReference.matVec(w.up(), h);
                for (int i = 0; i < g.length; i++) g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
                DenseReference.add(x[s], DenseReference.matVec(w.down(), g));
            }
        }
        return DenseReference.matVec(m.output, m.rmsNorm(x[k - 1], m.outputNorm));
    }
}
