package phd4j.tokenizer;

import java.util.List;

/**
 * The special-token roles llama.cpp reads from {@code tokenizer.ggml.<key>}, with the token texts
 * it uses to find a role the metadata leaves unset (such a token is then forced to CONTROL).
 */
enum SpecialRole {
    BOS("bos_token_id"),
    EOS("eos_token_id"),
    EOT("eot_token_id", "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
            "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"),
    EOM("eom_token_id", "<|eom_id|>"),
    UNK("unknown_token_id"),
    SEP("seperator_token_id"), // sic: llama.cpp's key spelling
    PAD("padding_token_id"),
    MASK("mask_token_id"),
    FIM_PRE("fim_pre_token_id", "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>",
            "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"),
    FIM_SUF("fim_suf_token_id", "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>",
            "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"),
    FIM_MID("fim_mid_token_id", "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>",
            "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"),
    FIM_PAD("fim_pad_token_id", "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"),
    FIM_REP("fim_rep_token_id", "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"),
    FIM_SEP("fim_sep_token_id", "<|file_sep|>");

    final String key;
    final List<String> detectTexts;

    SpecialRole(String keySuffix, String... detectTexts) {
        this.key = "tokenizer.ggml." + keySuffix;
        this.detectTexts = List.of(detectTexts);
    }

    /** Older files name the FIM roles prefix/suffix/middle; llama.cpp reads those keys as well. */
    String deprecatedKey() {
        return switch (this) {
            case FIM_PRE -> "tokenizer.ggml.prefix_token_id";
            case FIM_SUF -> "tokenizer.ggml.suffix_token_id";
            case FIM_MID -> "tokenizer.ggml.middle_token_id";
            default -> null;
        };
    }
}
