package phd4j.tokenizer;

/** Picks the implementation for a vocabulary; shared by {@link Tokenizer#fromGguf} and tests. */
final class Tokenizers {
    private Tokenizers() {}

    static BaseTokenizer of(VocabSpec spec) {
        if (spec.model == null) throw new IllegalArgumentException("tokenizer.ggml.model: missing");
        return switch (spec.model) {
            case "llama" -> new SentencePieceTokenizer(spec);
            case "gpt2" -> new ByteLevelBpeTokenizer(spec);
            case "gemma4" -> new RawBpeTokenizer(spec);
            default -> throw new IllegalArgumentException("tokenizer.ggml.model: tokenizer model '" + spec.model
                    + "' (pre-tokenizer '" + spec.pre + "') is not supported (supported: llama = SentencePiece, gpt2 = byte-level BPE, gemma4 = BPE on raw UTF-8)");
        };
    }
}
