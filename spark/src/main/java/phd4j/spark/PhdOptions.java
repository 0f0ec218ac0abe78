package phd4j.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import phd4j.GenerationParams;
import phd4j.chat.ChatTemplate;
import phd4j.chat.ChatTemplateException;
import phd4j.sample.SamplerParams;

/**
 * The options of {@link PhdGenerate}, {@link PhdScore} and {@link PhdFunctions}, as Spark's
 * {@code .option(key, value)} strings, checked on the driver when the transformation is built:
 * a bad one fails there with one line naming it, not later on an executor. Serializable: the
 * tasks carry them to the executors, where the model is opened.
 *
 * <p>Keys: {@code model} (required: a path every executor sees, or the name of a file shipped
 * with {@code spark.files}), {@code threads}, {@code context}, {@code batch}, {@code max_tokens},
 * {@code temperature}, {@code top_k}, {@code top_p}, {@code min_p}, {@code seed}, {@code stop}
 * (one stop string; more as {@code stop.1}, {@code stop.2}, ...), {@code prompt_col},
 * {@code messages_col}, {@code seed_col}, {@code text_col}, {@code id_col}, {@code fail_fast},
 * {@code chat_template}.
 */
public final class PhdOptions implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Set<String> KEYS = Set.of("model", "threads", "context", "batch", "max_tokens", "temperature", "top_k",
            "top_p", "min_p", "seed", "stop", "prompt_col", "messages_col", "seed_col", "text_col", "id_col", "fail_fast",
            "chat_template");

    private final TreeMap<String, String> values;
    final String model;
    final int threads, context, batch, maxTokens, topK;
    final float temperature, topP, minP;
    final long seed;
    final ArrayList<String> stops;
    final String promptCol, messagesCol, seedCol, textCol, idCol, chatTemplate;
    final boolean failFast;

    private PhdOptions(Map<String, String> options) {
        values = new TreeMap<>(options);
        for (String key : values.keySet()) {
            if (!KEYS.contains(key) && !key.matches("stop\\.[0-9]+")) {
                throw new IllegalArgumentException("phd4j: unknown option '" + key + "' (known: " + new TreeSet<>(KEYS) + ", stop.N)");
            }
        }
        model = values.get("model");
        if (model == null || model.isBlank()) throw new IllegalArgumentException("phd4j: option 'model' (the GGUF file) is required");
        threads = integer("threads", Runtime.getRuntime().availableProcessors(), 1);
        context = integer("context", 0, 0);
        if (context > 0 && context < 4) throw new IllegalArgumentException("phd4j: option 'context' must be 0 (the model's) or >= 4, is " + context);
        batch = integer("batch", 8, 1);
        maxTokens = integer("max_tokens", 64, 1);
        SamplerParams d = SamplerParams.DEFAULTS;
        temperature = (float) real("temperature", d.temperature());
        topK = integer("top_k", d.topK(), 0);
        topP = (float) real("top_p", d.topP());
        minP = (float) real("min_p", d.minP());
        seed = values.containsKey("seed") ? longValue("seed", values.get("seed")) : d.seed();
        stops = new ArrayList<>();
        values.forEach((k, v) -> { if (k.equals("stop") || k.startsWith("stop.")) stops.add(v); });
        promptCol = values.getOrDefault("prompt_col", "prompt");
        messagesCol = values.get("messages_col");
        seedCol = values.get("seed_col");
        textCol = values.getOrDefault("text_col", "text");
        idCol = values.get("id_col");
        chatTemplate = values.get("chat_template");
        failFast = bool("fail_fast");
        try {
            generationParams(seed);
            if (chatTemplate != null) ChatTemplate.parse(chatTemplate, "option 'chat_template'");
        } catch (IllegalArgumentException | ChatTemplateException e) {
            throw new IllegalArgumentException("phd4j: " + e.getMessage());
        }
    }

    /** Checks the options; throws IllegalArgumentException with one line naming the bad one. */
    public static PhdOptions of(Map<String, String> options) {
        return new PhdOptions(options);
    }

    /** The options as given (keys sorted): equal maps open the same model once per executor. */
    public Map<String, String> asMap() {
        return java.util.Collections.unmodifiableMap(values);
    }

    /** The sampling and stopping of one row, with that row's seed. */
    GenerationParams generationParams(long rowSeed) {
        SamplerParams sampler = new SamplerParams(temperature, topK, topP, minP, 1.0f, 64, rowSeed);
        return GenerationParams.of(maxTokens, sampler).withStopStrings(List.copyOf(stops));
    }

    private int integer(String key, int dflt, int min) {
        String v = values.get(key);
        if (v == null) return dflt;
        long n = longValue(key, v);
        if (n < min || n > Integer.MAX_VALUE) throw new IllegalArgumentException("phd4j: option '" + key + "' must be >= " + min + ", is " + v);
        return (int) n;
    }

    private static long longValue(String key, String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("phd4j: option '" + key + "' must be an integer, is '" + v + "'");
        }
    }

    private double real(String key, double dflt) {
        String v = values.get(key);
        if (v == null) return dflt;
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("phd4j: option '" + key + "' must be a number, is '" + v + "'");
        }
    }

    private boolean bool(String key) {
        String v = values.getOrDefault(key, "false").trim();
        if (v.equalsIgnoreCase("true")) return true;
        if (v.equalsIgnoreCase("false")) return false;
        throw new IllegalArgumentException("phd4j: option '" + key + "' must be true or false, is '" + v + "'");
    }
}
