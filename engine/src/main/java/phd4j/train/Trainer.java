package phd4j.train;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import phd4j.data.TokenDataset;
import phd4j.gguf.GgufFile;
import phd4j.simd.WorkerPool;

/**
 * A training run: model, AdamW state, step counter, data position and RNG. Step s (0-based) trains
 * on batch s of the training split's {@link TokenDataset.BatchSampler} (B windows of T+1 tokens,
 * each inside one file's training part, drawn from (seed, s) alone), runs forward and backward,
 * clips the global gradient norm and applies AdamW at the scheduled learning rate. The data
 * position is therefore the step counter, which the checkpoint holds; the RNG only initializes.
 *
 * <p>Deterministic: the same shape, settings, data and thread count give bit-identical weights
 * (in fact the thread count does not matter either: no sum depends on how work is split), and a
 * run resumed from a {@link Checkpoint} continues exactly as if it had not stopped.
 */
public final class Trainer {
    /** What one step did. */
    public record StepResult(long step, double loss, double gradNorm, double lr) {}

    private final ModelSpec spec;
    private final TrainSettings settings;
    private final TokenDataset.Split data;
    private final TokenDataset.BatchSampler sampler;
    private final WorkerPool pool;
    private final Transformer model;
    private final AdamW adam;
    private final Rng rng;
    private long step;        // steps done
    private long tokensSeen;  // original tokens trained on: the data position
    private final int[] tokens, targets;

    /** A fresh run: parameters initialized from the seed. */
    public Trainer(ModelSpec spec, TrainSettings settings, TokenDataset.Split train, WorkerPool pool) {
        this(spec, settings, train, pool, true);
    }

    /** @param train the training split; never the validation split (the caller's promise) */
    Trainer(ModelSpec spec, TrainSettings settings, TokenDataset.Split train, WorkerPool pool, boolean init) {
        this.spec = spec;
        this.settings = settings;
        this.data = train;
        this.sampler = train.sampler(spec.seqLen(), settings.batch(), settings.seed()); // throws if no window fits
        this.pool = pool;
        this.model = new Transformer(spec, settings.batch(), pool);
        this.adam = new AdamW(model.layout());
        this.rng = new Rng(settings.seed());
        this.tokens = new int[settings.batch() * spec.seqLen()];
        this.targets = new int[tokens.length];
        if (init) initialize();
    }

    /**
     * Normal(0, initStd) matrices, residual projections (attn_output, ffn_down) scaled by
     * 1/sqrt(2 layers) as in GPT-2, RMSNorm weights 1. Drawn from the run's RNG in layout order.
     */
    private void initialize() {
        float[] w = model.params;
        double resid = settings.initStd() / Math.sqrt(2.0 * spec.shape().layers());
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
        int vocab = spec.shape().vocab();
        TokenDataset.Batch batch = sampler.batch(step);
        System.arraycopy(batch.inputs(), 0, tokens, 0, tokens.length);
        System.arraycopy(batch.targets(), 0, targets, 0, targets.length);
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] >= vocab || targets[i] >= vocab) throw new IllegalArgumentException("token id out of the vocabulary near " + batch.starts()[i / spec.seqLen()]);
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
     * Mean copy-K loss per scored token over the evaluation windows of {@code split}
     * ({@link TokenDataset.Split#windows}: every token of every segment scored exactly once, except
     * each segment's first), in batches of B; a last partial batch is padded by repeating a window
     * whose losses are not counted. With {@code maxWindows} > 0 only that many windows, evenly
     * spaced over the split, are used (a cheaper estimate); 0 = all of them. Leaves the training
     * state untouched.
     */
    public double evaluate(TokenDataset.Split split, long maxWindows) {
        int t = spec.seqLen(), b = settings.batch();
        List<TokenDataset.Window> all = split.windows(t);
        if (all.isEmpty()) throw new IllegalArgumentException("evaluation data shorter than one window of " + (t + 1) + " tokens");
        int n = maxWindows > 0 ? (int) Math.min(all.size(), maxWindows) : all.size();
        TokenDataset.Window[] ws = new TokenDataset.Window[n];
        for (int i = 0; i < n; i++) ws[i] = all.get((int) ((long) i * all.size() / n));
        int[] x = new int[b * t], y = new int[b * t];
        double sum = 0;
        long scored = 0;
        for (int w0 = 0; w0 < n; w0 += b) {
            int real = Math.min(b, n - w0);
            for (int i = 0; i < b; i++) split.window(ws[w0 + Math.min(i, real - 1)].start(), t, x, y, i);
            model.forward(x, y);
            for (int i = 0; i < real; i++) {
                for (int p = ws[w0 + i].scoredFrom(); p < t; p++) {
                    sum += model.rowLoss(i * t + p);
                    scored++;
                }
            }
        }
        return sum / scored;
    }

    /** Writes the model as an F32 GGUF with the tokenizer keys of {@code vocab} (may be null). */
    public void export(Path out, GgufFile vocab, String name) {
        GgufExport.write(out, spec, model.params, vocab, name);
    }

    /** Writes a checkpoint atomically (temporary file + rename). */
    public void save(Path file) {
        Checkpoint.write(file, spec, settings, step, tokensSeen, data.size(), rng.state(), model.params, adam.m, adam.v);
    }

    /**
     * Continues a run from a checkpoint. The settings may differ from the saved ones only in
     * {@code steps} (to train longer); the thread count is the caller's. The training split must
     * be the one the run started with (checked by its size): the step counter is the data position.
     */
    public static Trainer resume(Path file, TokenDataset.Split train, WorkerPool pool, TrainSettings override) {
        Checkpoint.State c = Checkpoint.read(file);
        TrainSettings s = override == null ? c.settings() : override;
        if (!s.withSteps(c.settings().steps()).equals(c.settings())) {
            throw new IllegalArgumentException(file + ": the checkpoint was made with other settings (" + c.settings() + ")");
        }
        if (c.trainTokens() != train.size()) {
            throw new IllegalArgumentException(file + ": the checkpoint was made on a training split of " + c.trainTokens()
                    + " tokens, this data has " + train.size());
        }
        Trainer tr = new Trainer(c.spec(), s, train, pool, false);
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

    public ModelSpec spec() {
        return spec;
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
