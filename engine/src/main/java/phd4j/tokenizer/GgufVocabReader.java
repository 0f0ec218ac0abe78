package phd4j.tokenizer;

import phd4j.gguf.GgufException;
import phd4j.gguf.GgufFile;

/** Reads the {@code tokenizer.ggml.*} metadata of a GGUF file into a {@link VocabSpec}. */
final class GgufVocabReader {
    private static final String PREFIX = "tokenizer.ggml.";

    private GgufVocabReader() {}

    static VocabSpec read(GgufFile file) {
        VocabSpec spec = new VocabSpec(file.getString(PREFIX + "model"), file.getStringArray(PREFIX + "tokens"));
        spec.pre = file.findString(PREFIX + "pre").orElse(null);
        if (file.has(PREFIX + "scores")) spec.scores = scores(file, PREFIX + "scores");
        if (file.has(PREFIX + "token_type")) spec.tokenTypes = file.getIntArray(PREFIX + "token_type");
        if (file.has(PREFIX + "merges")) spec.merges = file.getStringArray(PREFIX + "merges");
        for (SpecialRole role : SpecialRole.values()) {
            file.findLong(role.key).ifPresent(id -> spec.specialIds.put(role, id));
            // the deprecated spelling is read after the current one, so it wins, as in llama.cpp
            if (role.deprecatedKey() != null) file.findLong(role.deprecatedKey()).ifPresent(id -> spec.specialIds.put(role, id));
        }
        spec.addBos = bool(file, PREFIX + "add_bos_token");
        spec.addEos = bool(file, PREFIX + "add_eos_token");
        spec.addSpacePrefix = bool(file, PREFIX + "add_space_prefix");
        requireLengths(file, spec);
        VocabChecks.requireByteTexts(file, spec);
        return spec;
    }

    /**
     * The per-token arrays must have one entry per token: a shorter one was read out of bounds
     * when the vocabulary was built, a longer one meant the file disagrees with itself.
     */
    private static void requireLengths(GgufFile file, VocabSpec spec) {
        int n = spec.tokens.length;
        if (n == 0) throw new GgufException(file.path() + ": " + PREFIX + "tokens: 0 tokens, expected at least 1");
        requireLength(file, "scores", spec.scores == null ? n : spec.scores.length, n);
        requireLength(file, "token_type", spec.tokenTypes == null ? n : spec.tokenTypes.length, n);
    }

    private static void requireLength(GgufFile file, String key, int length, int n) {
        if (length != n) {
            throw new GgufException(file.path() + ": " + PREFIX + key + ": " + length + " entries, expected " + n + " (one per token)");
        }
    }

    /** llama.cpp accepts FLOAT32 or INT32 scores. */
    private static float[] scores(GgufFile file, String key) {
        try {
            return file.getFloatArray(key);
        } catch (GgufException notFloat) {
            int[] ints = file.getIntArray(key);
            float[] scores = new float[ints.length];
            for (int i = 0; i < ints.length; i++) scores[i] = ints[i];
            return scores;
        }
    }

    private static Boolean bool(GgufFile file, String key) {
        return file.has(key) ? file.getBool(key, false) : null;
    }
}
