package phd4j.tokenizer;

/** Picks the implementation for a vocabulary; shared by {@link Tokenizer#fromGguf} and tests. */
final class Tokenizers {
    private Tokenizers() {}

    static Tokenizer of(VocabSpec spec) {
        if (spec.model == null) throw new IllegalArgumentException("missing tokenizer.ggml.model");
        return switch (spec.model) {
            case "llama" -> new SentencePieceTokenizer(spec);
            case "gpt2" -> new ByteLevelBpeTokenizer(spec);
            default -> throw new IllegalArgumentException("unsupported tokenizer: tokenizer.ggml.model = \""
                    + spec.model + "\" (supported: \"llama\" = SentencePiece, \"gpt2\" = byte-level BPE)");
        };
    }
}
