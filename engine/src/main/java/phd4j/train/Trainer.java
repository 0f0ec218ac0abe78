package phd4j.train;

import java.nio.file.Path;
import java.util.Arrays;
import phd4j.gguf.GgufFile;
import phd4j.simd.WorkerPool;

/**
 * A training run: model, AdamW state, step counter, data position and RNG. Each step reads B
 * windows of T+1 tokens at offsets drawn from the seeded RNG, runs forward and backward, clips the
 * global gradient norm and applies AdamW at the scheduled learning rate.
 *
 * <p>Deterministic: the same shape, settings, data and thread count give bit-identical weights
 * (in fact the thread count does not matter either: no sum depends on how work is split), and a
 * run resumed from a {@link Checkpoint} continues exactly as if it had not stopped.
 */
public final class Trainer {
    /** What one step did. */
    public record StepResult(long step, double loss, double gradNorm, double lr) {}

    private final ModelShape shape;
    private final TrainSettings settings;
    private final TokenSource data;
    private final WorkerPool pool;
    private final Transformer model;
    private final AdamW adam;
    private final Rng rng;
    private long step;        // steps done
    private long tokensSeen;  // original tokens trained on: the data position
    private final int[] tokens, targets;

    /** A fresh run: parameters initialized from the seed. */
    public Trainer(ModelShape shape, TrainSettings settings, TokenSource data, WorkerPool pool) {
        this(shape, settings, data, pool, true);
    }

    Trainer(ModelShape shape, TrainSettings settings, TokenSource data, WorkerPool pool, boolean init) {
        if (data.size() < shape.seqLen() + 1) throw new IllegalArgumentException("the data holds " + data.size() + " tokens, a window needs " + (shape.seqLen() + 1));
        this.shape = shape;
        this.settings = settings;
        this.data = data;
        this.pool = pool;
        this.model = new Transformer(shape, settings.batch(), pool);
        this.adam = new AdamW(model.layout());
        this.rng = new Rng(settings.seed());
        this.tokens = new int[settings.batch() * shape.seqLen()];
        this.targets = new int[tokens.length];
        if (init) initialize();
    }

    /**
     * Normal(0, initStd) matrices, residual projections (attn_output, ffn_down) scaled by
     * 1/sqrt(2 layers) as in GPT-2, RMSNorm weights 1. Drawn from the run's RNG in layout order.
     */
    private void initialize() {
        float[] w = model.params;
        double resid = settings.initStd() / Math.sqrt(2.0 * shape.layers());
        for (ParamLayout.Tensor t : model.layout().tensors()) {
            if (!t.matrix()) {
                Arrays.fill(w, t.offset(), t.offset() + t.size(), 1f);
                continue;
            }
            boolean residual = t.name().endsWith("attn_output.weight") || t.name().endsWith("ffn_down.weight");
            double std = residual ? resid : settings.initStd();
            for (int i = 0; i < t.size(); i++) w[t.offset() + i] = (float) (std * rng.nextGaussian());
        }
    }

    /** One optimizer step. */
    public StepResult step() {
        int t = shape.seqLen(), vocab = shape.vocab();
        long span = data.size() - t; // window start in [0, size - T - 1]
        for (int b = 0; b < settings.batch(); b++) {
            long start = rng.nextLong(span);
            for (int p = 0; p < t; p++) {
                int x = data.get(start + p), y = data.get(start + p + 1);
                if (x < 0 || x >= vocab || y < 0 || y >= vocab) throw new IllegalArgumentException("token id out of the vocabulary near " + (start + p));
                tokens[b * t + p] = x;
                targets[b * t + p] = y;
            }
        }
        double loss = model.forward(tokens, targets);
        Arrays.fill(model.grads, 0);
        model.backward();
        double sq = 0;
        for (float g : model.grads) sq += (double) g * g; // sequential: a fixed order
        double norm = Math.sqrt(sq);
        float scale = settings.clip() > 0 && norm > settings.clip() ? (float) (settings.clip() / norm) : 1f;
        double lr = settings.learningRate(step);
        adam.update(pool, model.params, model.grads, scale, step + 1, settings, lr);
        step++;
        tokensSeen += tokens.length;
        return new StepResult(step, loss, norm, lr);
    }

    /**
     * Mean copy-K loss over consecutive non-overlapping windows of {@code source} (at most
     * {@code maxWindows} of them, 0 = all), in batches of B; a last partial batch is padded by
     * repeating windows whose losses are not counted. Leaves the training state untouched.
     */
    public double evaluate(TokenSource source, long maxWindows) {
        int t = shape.seqLen(), b = settings.batch();
        long windows = (source.size() - 1) / t;
        if (maxWindows > 0) windows = Math.min(windows, maxWindows);
        if (windows == 0) throw new IllegalArgumentException("evaluation data shorter than one window");
        int[] x = new int[b * t], y = new int[b * t];
        double sum = 0;
        for (long w0 = 0; w0 < windows; w0 += b) {
            int real = (int) Math.min(b, windows - w0);
            for (int i = 0; i < b; i++) {
                long start = (w0 + Math.min(i, real - 1)) * t;
                for (int p = 0; p < t; p++) {
                    x[i * t + p] = source.get(start + p);
                    y[i * t + p] = source.get(start + p + 1);
                }
            }
            double mean = model.forward(x, y);
            if (real == b) sum += mean * b;
            else sum += model.lastRowLosses(real);
        }
        return sum / windows;
    }

    /** Writes the model as an F32 GGUF with the tokenizer keys of {@code vocab} (may be null). */
    public void export(Path out, GgufFile vocab, String name) {
        GgufExport.write(out, shape, model.params, vocab, name);
    }

    /** Writes a checkpoint atomically (temporary file + rename). */
    public void save(Path file) {
        Checkpoint.write(file, shape, settings, step, tokensSeen, rng.state(), model.params, adam.m, adam.v);
    }

    /**
     * Continues a run from a checkpoint. The settings may differ from the saved ones only in
     * {@code steps} (to train longer); data and thread count are the caller's.
     */
    public static Trainer resume(Path file, TokenSource data, WorkerPool pool, TrainSettings override) {
        Checkpoint.State c = Checkpoint.read(file);
        TrainSettings s = override == null ? c.settings() : override;
        if (!s.withSteps(c.settings().steps()).equals(c.settings())) {
            throw new IllegalArgumentException(file + ": the checkpoint was made with other settings (" + c.settings() + ")");
        }
        Trainer tr = new Trainer(c.shape(), s, data, pool, false);
        System.arraycopy(c.params(), 0, tr.model.params, 0, c.params().length);
        System.arraycopy(c.m(), 0, tr.adam.m, 0, c.m().length);
        System.arraycopy(c.v(), 0, tr.adam.v, 0, c.v().length);
        tr.step = c.step();
        tr.tokensSeen = c.tokensSeen();
        tr.rng.setState(c.rngState());
        return tr;
    }

    public long stepsDone() {
        return step;
    }

    public long tokensSeen() {
        return tokensSeen;
    }

    public ModelShape shape() {
        return shape;
    }

    public TrainSettings settings() {
        return settings;
    }

    /** The live parameter array (layout: {@link ParamLayout}). */
    public float[] parameters() {
        return model.params;
    }

    Transformer model() {
        return model;
    }

    AdamW adam() {
        return adam;
    }
}
