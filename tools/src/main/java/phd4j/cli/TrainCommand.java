package phd4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import phd4j.gguf.GgufFile;
import phd4j.simd.WorkerPool;
import phd4j.tokenizer.Tokenizer;
import phd4j.train.ModelShape;
import phd4j.train.Recipe;
import phd4j.train.TokenSource;
import phd4j.train.TrainSettings;
import phd4j.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code phd train RECIPE [--key value ...] [--resume]}: trains a model as a recipe says
 * (models/recipes/README.md), with a live progress line, metrics appended to OUT.metrics.jsonl,
 * checkpoints in OUT.ckpt and the model exported to OUT (F32 GGUF) at the end.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a Llama or PHD model from a recipe file (key = value lines; see models/recipes/README.md).",
                "Any recipe key can be overridden: --steps 200 --phd-k 3. Same recipe + same seed + same threads = same weights."})
final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RECIPE", description = "the recipe file")
    Path recipeFile;

    @Option(names = "--resume", description = "continue from OUT.ckpt if it exists (bit-identical to an uninterrupted run)")
    boolean resume;

    @Option(names = "--stop-after", paramLabel = "N", description = "stop after step N with a checkpoint, as if interrupted (continue with --resume)")
    long stopAfter;

    @Option(names = "--verbose", description = "show stack traces")
    void setVerbose(boolean v) {
        CommonOptions.verbose = v;
    }

    @Unmatched
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        Recipe recipe = Recipe.load(recipeFile);
        for (int i = 0; i < overrides.size(); i++) {
            String o = overrides.get(i);
            if (!o.startsWith("--")) throw new Main.UserException("unexpected argument '" + o + "' (overrides are --key value)");
            String key = o.substring(2), value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else {
                if (i + 1 >= overrides.size()) throw new Main.UserException(o + " needs a value");
                value = overrides.get(++i);
            }
            recipe = recipe.with(key, value);
        }

        Path out = recipe.path("out");
        Path ckpt = Path.of(out + ".ckpt"), metrics = Path.of(out + ".metrics.jsonl");
        if (out.toAbsolutePath().getParent() != null) Files.createDirectories(out.toAbsolutePath().getParent());
        int threads = recipe.getInt("threads") > 0 ? recipe.getInt("threads") : Runtime.getRuntime().availableProcessors();

        try (GgufFile vocab = GgufFile.open(recipe.path("vocab")); WorkerPool pool = new WorkerPool(threads)) {
            Tokenizer tok = Tokenizer.fromGguf(vocab);
            long t0 = System.nanoTime();
            int[] ids = encode(tok, Files.readString(recipe.path("data"), StandardCharsets.UTF_8));
            int nVal = (int) Math.round(ids.length * recipe.getDouble("val_fraction"));
            TokenSource train = TokenSource.of(java.util.Arrays.copyOfRange(ids, 0, ids.length - nVal));
            TokenSource val = nVal > 0 ? TokenSource.of(java.util.Arrays.copyOfRange(ids, ids.length - nVal, ids.length)) : null;
            err.printf(Locale.ROOT, "train: %s: %d tokens (%d train, %d validation) in %.1f s%n", recipe.path("data").getFileName(),
                    ids.length, train.size(), nVal, (System.nanoTime() - t0) / 1e9);

            ModelShape shape = recipe.shape(tok.vocabSize());
            TrainSettings settings = recipe.settings();
            Trainer tr = resume && Files.exists(ckpt) ? Trainer.resume(ckpt, train, pool, settings) : new Trainer(shape, settings, train, pool);
            if (!tr.shape().equals(shape)) throw new Main.UserException(ckpt + ": made for another model shape: " + tr.shape());
            err.printf(Locale.ROOT, "train: %s, %s parameters, %d threads, %s%n", shape.phd().name(), String.format(Locale.ROOT, "%,d", shape.parameterCount()),
                    threads, tr.stepsDone() > 0 ? "resumed at step " + tr.stepsDone() : "from scratch");
            if (tr.stepsDone() == 0) {
                StringBuilder b = new StringBuilder("{\"recipe\":{");
                recipe.resolved().forEach((k, v) -> b.append(b.charAt(b.length() - 1) == '{' ? "" : ",").append(Json.string(k)).append(':').append(Json.string(v)));
                appendJson(metrics, b.append("}}").toString());
            }

            boolean terminal = Boolean.getBoolean("phd.stderr.terminal");
            int evalEvery = recipe.getInt("eval_every"), ckptEvery = recipe.getInt("checkpoint_every");
            long evalWindows = recipe.getInt("eval_windows");
            long tokensPerStep = (long) settings.batch() * shape.seqLen();
            double flopsPerToken = shape.flopsPerToken();
            long start = System.nanoTime();
            long startStep = tr.stepsDone();
            double smooth = Double.NaN;
            while (tr.stepsDone() < settings.steps()) {
                Trainer.StepResult r = tr.step();
                double secs = (System.nanoTime() - start) / 1e9;
                double tokS = (r.step() - startStep) * tokensPerStep / secs;
                double eta = (settings.steps() - r.step()) * secs / (r.step() - startStep);
                smooth = Double.isNaN(smooth) ? r.loss() : 0.9 * smooth + 0.1 * r.loss();
                Double valLoss = null;
                boolean last = r.step() == settings.steps();
                if (val != null && ((evalEvery > 0 && r.step() % evalEvery == 0) || last)) valLoss = tr.evaluate(val, last ? 0 : evalWindows);
                String line = String.format(Locale.ROOT, "step %d/%d  loss %.4f  lr %.2e  %.0f tok/s  MFU %.1f%%  ETA %s%s",
                        r.step(), settings.steps(), smooth, r.lr(), tokS, 100 * tokS * flopsPerToken / 233e9, duration(eta),
                        valLoss != null ? String.format(Locale.ROOT, "  val %.4f", valLoss) : "");
                if (terminal) {
                    err.print("\r" + line + "\u001b[K");
                    if (valLoss != null) err.println();
                    err.flush();
                } else if (valLoss != null || r.step() % 10 == 0 || r.step() == startStep + 1) {
                    err.println(line);
                    err.flush();
                }
                appendJson(metrics, String.format(Locale.ROOT, "{\"step\":%d,\"loss\":%.6f,\"lr\":%.6g,\"grad_norm\":%.6g,\"tokens\":%d,\"tok_s\":%.1f%s}",
                        r.step(), r.loss(), r.lr(), r.gradNorm(), tr.tokensSeen(), tokS,
                        valLoss != null ? String.format(Locale.ROOT, ",\"val_loss\":%.6f", valLoss) : ""));
                if ((ckptEvery > 0 && r.step() % ckptEvery == 0) || last) tr.save(ckpt);
                if (stopAfter > 0 && r.step() == stopAfter && !last) {
                    tr.save(ckpt);
                    if (terminal) err.println();
                    err.printf(Locale.ROOT, "train: stopped after step %d; checkpoint %s (continue with --resume)%n", r.step(), ckpt);
                    return 0;
                }
            }
            if (terminal) err.println();
            tr.export(out, vocab, recipe.get("name"));
            err.printf(Locale.ROOT, "train: wrote %s (checkpoint %s, metrics %s)%n", out, ckpt.getFileName(), metrics.getFileName());
        }
        return 0;
    }

    /** Encodes in pieces of about 64 KiB cut at line ends (the tokenizer's cost grows with piece length). */
    static int[] encode(Tokenizer tok, String text) {
        List<int[]> parts = new ArrayList<>();
        int total = 0;
        for (int at = 0; at < text.length(); ) {
            int end = Math.min(text.length(), at + (1 << 16));
            if (end < text.length()) {
                int nl = text.indexOf('\n', end);
                end = nl < 0 ? text.length() : nl + 1;
            }
            int[] p = tok.encode(text.substring(at, end), false, false);
            parts.add(p);
            total += p.length;
            at = end;
        }
        int[] all = new int[total];
        int o = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, all, o, p.length);
            o += p.length;
        }
        return all;
    }

    private static String duration(double s) {
        if (!Double.isFinite(s)) return "?";
        long x = Math.round(s);
        return x >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", x / 3600, x / 60 % 60) : String.format(Locale.ROOT, "%dm%02ds", x / 60, x % 60);
    }

    private static void appendJson(Path file, String line) throws IOException {
        Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
