package phd4j.tokenizer;

import java.util.EnumMap;
import java.util.Map;

/**
 * The tokenizer metadata as a file states it, before llama.cpp's defaults and fix-ups are applied:
 * filled from a GGUF file by {@link GgufVocabReader}, or directly by tests with small vocabularies.
 * Absent values stay null.
 */
final class VocabSpec {
    /** {@code tokenizer.ggml.model}: "llama" (SentencePiece), "gpt2" (byte-level BPE) or "gemma4" (BPE on raw UTF-8). */
    String model;
    /** {@code tokenizer.ggml.pre}, BPE only. */
    String pre;
    String[] tokens;
    float[] scores;
    int[] tokenTypes;
    String[] merges;
    final Map<SpecialRole, Long> specialIds = new EnumMap<>(SpecialRole.class);
    Boolean addBos;
    Boolean addEos;
    Boolean addSpacePrefix;

    VocabSpec(String model, String... tokens) {
        this.model = model;
        this.tokens = tokens;
    }
}
