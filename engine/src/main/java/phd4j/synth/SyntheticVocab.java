package phd4j.synth;

import java.util.LinkedHashMap;
import java.util.Map;
import phd4j.gguf.GgufArray;
import phd4j.gguf.GgufValue;
import phd4j.gguf.GgufValueType;

/**
 * A minimal SentencePiece-style vocabulary for models that need no real tokenizer (benchmarks):
 * {@code <unk>}, {@code <s>}, {@code </s>}, the 256 byte tokens {@code <0x00>..<0xFF>} (so any
 * text encodes, through byte fallback), then filler pieces: single ASCII characters, the same
 * with the word-start mark, then numbered pieces. llama.cpp and phd4j both load it.
 */
final class SyntheticVocab {
    /** Tokens every synthetic vocabulary has: three specials and 256 bytes. */
    static final int FIXED = 3 + 256;
    private static final String SPACE = "\u2581"; // SentencePiece's word-start mark
    // llama.cpp's token types (enum llama_token_type)
    private static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, BYTE = 6;

    private SyntheticVocab() {}

    /** The tokenizer.ggml.* keys for a vocabulary of {@code n} tokens (at least {@link #FIXED}). */
    static Map<String, GgufValue> keys(int n) {
        if (n < FIXED) throw new IllegalArgumentException("a synthetic vocabulary needs at least " + FIXED + " tokens, not " + n);
        String[] tokens = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        tokens[0] = "<unk>";
        types[0] = UNKNOWN;
        tokens[1] = "<s>";
        types[1] = CONTROL;
        tokens[2] = "</s>";
        types[2] = CONTROL;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = String.format("<0x%02X>", b);
            types[3 + b] = BYTE;
        }
        for (int i = FIXED; i < n; i++) {
            int k = i - FIXED;
            // 94 printable ASCII characters, then each with the word-start mark, then numbered pieces
            tokens[i] = k < 94 ? String.valueOf((char) ('!' + k))
                    : k < 188 ? SPACE + (char) ('!' + k - 94)
                    : SPACE + "t" + (k - 188);
            types[i] = NORMAL;
            scores[i] = -k; // earlier pieces are preferred, as in a trained vocabulary
        }
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.ofString("llama"));
        m.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(tokens)));
        m.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufArray.ofFloats(scores)));
        m.put("tokenizer.ggml.token_type", GgufValue.ofArray(new GgufArray(GgufValueType.INT32, types)));
        m.put("tokenizer.ggml.bos_token_id", GgufValue.ofUInt32(1));
        m.put("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(2));
        m.put("tokenizer.ggml.unknown_token_id", GgufValue.ofUInt32(0));
        return m;
    }
}
