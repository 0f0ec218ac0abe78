package phd4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import phd4j.data.TokenDataset;
import phd4j.gguf.GgufFile;
import phd4j.json.JsonText;
import phd4j.simd.WorkerPool;
import phd4j.tokenizer.BpeTrainer;
import phd4j.tokenizer.Tokenizer;
import phd4j.tokenizer.TrainedVocab;
import phd4j.train.ModelSpec;
import phd4j.train.Recipe;
import phd4j.train.TrainSettings;
import phd4j.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Mixin VerboseOption verbose;

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
        List<Path> files = recipe.paths("data");
        Path cacheDir = recipe.get("cache").isEmpty() ? out.toAbsolutePath().getParent().resolve("cache") : recipe.path("cache");
        Path vocabFile = vocabFile(recipe, files, cacheDir, err);

        try (GgufFile vocab = GgufFile.open(vocabFile); WorkerPool pool = new WorkerPool(threads)) {
            Tokenizer tok = Tokenizer.fromGguf(vocab);
            long t0 = System.nanoTime();
            try (TokenDataset data = TokenDataset.open(files, tok, cacheDir, recipe.getDouble("val_fraction"))) {
                TokenDataset.Split train = data.train(), val = data.validation();
                err.printf(Locale.ROOT, "train: %d files, %,d tokens (%,d train, %,d validation), %s %s in %.1f s%n", files.size(),
                        data.totalTokens(), train.size(), val.size(), data.rebuilt() ? "tokenized to" : "cached in",
                        data.cacheFile().getFileName(), (System.nanoTime() - t0) / 1e9);
                boolean canValidate = !val.windows(recipe.getInt("seq_len")).isEmpty();
                if (!canValidate) err.printf("train: note: no file's validation part holds seq_len + 1 tokens: no validation loss%n");
                return train(recipe, tok, vocab, train, canValidate ? val : null, pool, threads, out, ckpt, metrics, err);
            }
        }
    }

    /**
     * The recipe's vocabulary: {@code vocab = FILE.gguf}, or with {@code vocab_train = N} a
     * byte-level BPE vocabulary of N tokens trained on the data files, cached as
     * CACHE/vocab-HASH.gguf (HASH: N, the pre-tokenizer and every file's size and content hash).
     */
    static Path vocabFile(Recipe recipe, List<Path> files, Path cacheDir, PrintWriter err) throws IOException {
        int n = recipe.getInt("vocab_train");
        boolean named = !recipe.get("vocab").isEmpty();
        if (named == (n > 0)) throw new Main.UserException("the recipe must set exactly one of 'vocab' (a GGUF file) and 'vocab_train' (a vocabulary size)");
        if (named) return recipe.path("vocab");
        if (n < 257) throw new Main.UserException("vocab_train must be >= 257 (256 bytes + <|endoftext|>), got " + n);
        String pre = recipe.get("vocab_pre");
        if (!pre.equals("gpt-2") && !pre.equals("llama-bpe")) throw new Main.UserException("vocab_pre must be gpt-2 or llama-bpe, got " + pre);
        MessageDigest key = sha256();
        key.update((n + "/" + pre + "/2/").getBytes(StandardCharsets.UTF_8));
        List<byte[]> contents = new ArrayList<>();
        for (Path f : files) {
            byte[] bytes = Files.readAllBytes(f);
            contents.add(bytes);
            key.update(Long.toString(bytes.length).getBytes(StandardCharsets.UTF_8));
            key.update(sha256().digest(bytes));
        }
        Path file = cacheDir.resolve("vocab-" + HexFormat.of().formatHex(key.digest(), 0, 8) + ".gguf");
        if (Files.isRegularFile(file)) return file;
        Files.createDirectories(cacheDir);
        long t0 = System.nanoTime();
        BpeTrainer trainer = new BpeTrainer(pre);
        for (int i = 0; i < files.size(); i++) trainer.addText(TextFiles.decode(files.get(i), contents.get(i)));
        ProgressBar bar = new ProgressBar(err, "BPE merges", x -> Long.toString(x));
        TrainedVocab v;
        try {
            v = trainer.train(n, 2, (done, total) -> bar.update(done, total, ""));
        } finally {
            bar.finish();
        }
        v.write(file);
        err.printf(Locale.ROOT, "train: trained a %d-token BPE vocabulary (%s) in %.1f s: %s%n", v.size(), pre, (System.nanoTime() - t0) / 1e9, file);
        return file;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Integer train(Recipe recipe, Tokenizer tok, GgufFile vocab, TokenDataset.Split train, TokenDataset.Split val, WorkerPool pool,
                          int threads, Path out, Path ckpt, Path metrics, PrintWriter err) throws IOException {
        ModelSpec modelSpec = recipe.spec(tok.vocabSize());
        TrainSettings settings = recipe.settings();
        Trainer tr = resume && Files.exists(ckpt) ? Trainer.resume(ckpt, train, pool, settings) : new Trainer(modelSpec, settings, train, pool);
        if (!tr.spec().equals(modelSpec)) throw new Main.UserException(ckpt + ": made for another model: " + tr.spec());
        err.printf(Locale.ROOT, "train: %s, %s parameters, %d threads, %s%n", modelSpec.phd().name(), String.format(Locale.ROOT, "%,d", modelSpec.parameterCount()),
                threads, tr.stepsDone() > 0 ? "resumed at step " + tr.stepsDone() : "from scratch");
        if (tr.stepsDone() == 0) {
            StringBuilder b = new StringBuilder("{\"recipe\":{");
            recipe.resolved().forEach((k, v) -> b.append(b.charAt(b.length() - 1) == '{' ? "" : ",").append(JsonText.quote(k)).append(':').append(JsonText.quote(v)));
            b.append(String.format(Locale.ROOT, "},\"model\":{\"name\":%s,\"phd\":%s,\"params\":%d,\"vocab\":%d,\"flops_per_token\":%.6g,"
                            + "\"train_tokens\":%d,\"val_tokens\":%d,\"threads\":%d}}", JsonText.quote(recipe.get("name")), JsonText.quote(modelSpec.phd().name()),
                    modelSpec.parameterCount(), modelSpec.shape().vocab(), modelSpec.flopsPerToken(), train.size(), val == null ? 0 : val.size(), threads));
            appendJson(metrics, b.toString());
        }

        boolean terminal = Boolean.getBoolean("phd.stderr.terminal");
        int evalEvery = recipe.getInt("eval_every"), ckptEvery = recipe.getInt("checkpoint_every");
        long evalWindows = recipe.getInt("eval_windows");
        long tokensPerStep = (long) settings.batch() * modelSpec.seqLen();
        double flopsPerToken = modelSpec.flopsPerToken();
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
        if (recipe.getBool("plot")) {
            Path svg = Path.of(out + ".loss.svg");
            TrainPlotCommand.chart(List.of(TrainPlotCommand.Run.read(metrics)), svg);
            err.printf(Locale.ROOT, "train: loss curve %s%n", svg);
        }
        return 0;
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
