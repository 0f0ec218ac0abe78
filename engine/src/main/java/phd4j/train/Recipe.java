package phd4j.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import phd4j.model.ModelShape;
import phd4j.phd.PhdConfig;

/**
 * A training recipe: {@code key = value} lines, {@code #} starts a comment, blank lines are
 * ignored; keys are listed in {@link #DEFAULTS} (models/recipes/README.md documents them).
 * Relative paths are resolved against the recipe's folder. Overrides (from the command line) replace
 * single values; an unknown key is an error, so a typo cannot silently train the wrong thing.
 */
public final class Recipe {
    /** Every key with its default; null = required. */
    public static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    static {
        // data
        DEFAULTS.put("data", null);            // UTF-8 text files, comma-separated; each one document
        DEFAULTS.put("vocab", "");             // a GGUF whose tokenizer.* keys encode the data and go into the output, or:
        DEFAULTS.put("vocab_train", "0");      // N > 0: train a byte-level BPE vocabulary of N tokens on the data files (cached)
        DEFAULTS.put("vocab_pre", "gpt-2");    // its pre-tokenizer: gpt-2 or llama-bpe
        DEFAULTS.put("val_fraction", "0.05");  // the last part of each file's tokens, held out for validation
        DEFAULTS.put("cache", "");             // folder of token and vocabulary caches ("" = OUT's folder/cache)
        // model
        DEFAULTS.put("dim", "128");
        DEFAULTS.put("layers", "4");
        DEFAULTS.put("heads", "4");
        DEFAULTS.put("kv_heads", "4");
        DEFAULTS.put("ffn", "384");
        DEFAULTS.put("seq_len", "128");
        DEFAULTS.put("tied", "false");
        DEFAULTS.put("rms_eps", "1e-5");
        DEFAULTS.put("rope_base", "10000");
        DEFAULTS.put("phd_k", "1");
        DEFAULTS.put("phd_variant", "phd");
        DEFAULTS.put("phd_window", "0");
        DEFAULTS.put("phd_chunk", "0");
        // optimization
        DEFAULTS.put("batch", "8");
        DEFAULTS.put("steps", "1000");
        DEFAULTS.put("lr", "3e-3");
        DEFAULTS.put("min_lr", "3e-4");
        DEFAULTS.put("warmup", "100");
        DEFAULTS.put("beta1", "0.9");
        DEFAULTS.put("beta2", "0.95");
        DEFAULTS.put("eps", "1e-8");
        DEFAULTS.put("weight_decay", "0.1");
        DEFAULTS.put("clip", "1.0");
        DEFAULTS.put("init_std", "0.02");
        DEFAULTS.put("seed", "1337");
        // run
        DEFAULTS.put("threads", "0");          // 0 = all cores
        DEFAULTS.put("eval_every", "100");     // steps between validation evaluations (0 = only at the end)
        DEFAULTS.put("eval_windows", "0");     // validation windows per evaluation (0 = the whole split)
        DEFAULTS.put("checkpoint_every", "100");
        DEFAULTS.put("out", null);             // the GGUF written at the end; checkpoint and metrics sit beside it
        DEFAULTS.put("name", "phd4j model");
        DEFAULTS.put("plot", "true");          // write OUT.loss.svg (train and validation loss) at the end
    }

    private final Path base;
    private final Map<String, String> values;

    private Recipe(Path base, Map<String, String> values) {
        this.base = base;
        this.values = values;
    }

    public static Recipe parse(String text, Path base) {
        Map<String, String> v = new LinkedHashMap<>();
        int lineNo = 0;
        for (String raw : text.split("\n", -1)) {
            lineNo++;
            int hash = raw.indexOf('#');
            String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
            if (line.isEmpty()) continue;
            int eq = line.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException("recipe line " + lineNo + ": expected key = value, got '" + line + "'");
            String key = line.substring(0, eq).strip(), value = line.substring(eq + 1).strip();
            check(key, "recipe line " + lineNo);
            v.put(key, value);
        }
        return new Recipe(base, v);
    }

    public static Recipe load(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            return parse(Files.readString(file), parent);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    private static void check(String key, String where) {
        if (!DEFAULTS.containsKey(key)) throw new IllegalArgumentException(where + ": unknown key '" + key + "' (known: " + String.join(", ", DEFAULTS.keySet()) + ")");
    }

    /** A copy with one value replaced; keys may be written with dashes (phd-k = phd_k). */
    public Recipe with(String key, String value) {
        String k = key.replace('-', '_');
        check(k, "override");
        Map<String, String> v = new LinkedHashMap<>(values);
        v.put(k, value);
        return new Recipe(base, v);
    }

    public String get(String key) {
        String v = values.getOrDefault(key, DEFAULTS.get(key));
        if (v == null) throw new IllegalArgumentException("the recipe must set '" + key + "'");
        return v;
    }

    public int getInt(String key) {
        try {
            return Integer.parseInt(get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": not an integer: '" + get(key) + "'");
        }
    }

    public double getDouble(String key) {
        try {
            return Double.parseDouble(get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": not a number: '" + get(key) + "'");
        }
    }

    public boolean getBool(String key) {
        String v = get(key);
        if (!Set.of("true", "false").contains(v)) throw new IllegalArgumentException(key + ": expected true or false, got '" + v + "'");
        return v.equals("true");
    }

    /** A path value, relative ones taken from the recipe's folder. */
    public Path path(String key) {
        Path p = Path.of(get(key));
        return base == null || p.isAbsolute() ? p : base.resolve(p).normalize();
    }

    /** A comma-separated list of paths, relative ones taken from the recipe's folder. */
    public java.util.List<Path> paths(String key) {
        java.util.List<Path> out = new java.util.ArrayList<>();
        for (String part : get(key).split(",")) {
            String v = part.strip();
            if (v.isEmpty()) continue;
            Path p = Path.of(v);
            out.add(base == null || p.isAbsolute() ? p : base.resolve(p).normalize());
        }
        if (out.isEmpty()) throw new IllegalArgumentException("'" + key + "' names no file");
        return out;
    }

    public PhdConfig phd() {
        int k = getInt("phd_k");
        if (k == 1) return PhdConfig.VANILLA;
        PhdConfig.Variant v = PhdConfig.Variant.fromKey(get("phd_variant"));
        if (v == null) throw new IllegalArgumentException("phd_variant: phd, phd-swa or phd-cswa, not '" + get("phd_variant") + "'");
        return new PhdConfig(k, v, v == PhdConfig.Variant.PHD ? 0 : getInt("phd_window"), v == PhdConfig.Variant.CSWA ? getInt("phd_chunk") : 0);
    }

    public ModelSpec spec(int vocab) {
        return new ModelSpec(new ModelShape(getInt("dim"), getInt("layers"), getInt("heads"), getInt("kv_heads"), getInt("ffn"), vocab),
                getInt("seq_len"), getBool("tied"), (float) getDouble("rms_eps"), (float) getDouble("rope_base"), phd());
    }

    public TrainSettings settings() {
        return new TrainSettings(getInt("batch"), getInt("steps"), getDouble("lr"), getDouble("min_lr"), getInt("warmup"),
                getDouble("beta1"), getDouble("beta2"), getDouble("eps"), getDouble("weight_decay"), getDouble("clip"),
                getDouble("init_std"), Long.parseLong(get("seed")));
    }

    /** All values, defaults filled in (for the metrics file's header line). */
    public Map<String, String> resolved() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String k : DEFAULTS.keySet()) {
            String v = values.getOrDefault(k, DEFAULTS.get(k));
            if (v != null) m.put(k, v);
        }
        return m;
    }
}
