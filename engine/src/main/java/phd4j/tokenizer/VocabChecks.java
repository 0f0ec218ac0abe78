package phd4j.tokenizer;

import java.util.regex.Pattern;
import phd4j.gguf.GgufException;
import phd4j.gguf.GgufFile;

/**
 * The checks on a vocabulary that let every later encode and decode succeed: each failure here
 * was an exception at encode or decode time (a byte token that does not parse, a byte the
 * SentencePiece fallback cannot find, a BOS the flags ask for but the file lacks).
 */
final class VocabChecks {
    private static final String PREFIX = "tokenizer.ggml.";
    private static final Pattern BYTE_TEXT = Pattern.compile("<0x[0-9A-Fa-f]{2}>");
    private static final int GGUF_TYPE_BYTE = 6;

    private VocabChecks() {}

    /** Byte-type tokens are rendered by parsing their text, so it must be "&lt;0xNN&gt;". */
    static void requireByteTexts(GgufFile file, VocabSpec spec) {
        if (spec.tokenTypes == null) return;
        for (int i = 0; i < spec.tokens.length; i++) {
            if (spec.tokenTypes[i] == GGUF_TYPE_BYTE && !BYTE_TEXT.matcher(spec.tokens[i]).matches()) {
                throw new GgufException(file.path() + ": " + PREFIX + "tokens[" + i + "]: byte token (token_type 6) '"
                        + printable(spec.tokens[i]) + "', expected <0xNN>");
            }
        }
    }

    /** What the built tokenizer needs of its vocabulary. */
    static void requireUsable(GgufFile file, VocabSpec spec, BaseTokenizer tokenizer) {
        Vocab vocab = tokenizer.vocab;
        if (tokenizer instanceof SentencePieceTokenizer) requireByteFallback(file, vocab);
        requireSpecial(file, spec, vocab, SpecialRole.BOS, tokenizer.addBos(), tokenizer.bos(), "add_bos_token");
        requireSpecial(file, spec, vocab, SpecialRole.EOS, vocab.addEos, tokenizer.eos(), "add_eos_token");
    }

    /**
     * SentencePiece spells a character that has no token as its UTF-8 bytes' tokens, so every byte
     * that can occur in UTF-8 needs one ("&lt;0xNN&gt;", or for ASCII the character itself, as llama.cpp looks it up).
     */
    private static void requireByteFallback(GgufFile file, Vocab vocab) {
        for (int b = 0; b < 256; b++) {
            if (b == 0xC0 || b == 0xC1 || b >= 0xF5) continue; // never in UTF-8
            String text = String.format("<0x%02X>", b);
            if (vocab.id(text) < 0 && (b >= 0x80 || vocab.id(String.valueOf((char) b)) < 0)) {
                throw new GgufException(file.path() + ": " + PREFIX + "tokens: no byte token " + text
                        + ", expected all 256 for a SentencePiece (llama) vocabulary's byte fallback");
            }
        }
    }

    private static void requireSpecial(GgufFile file, VocabSpec spec, Vocab vocab, SpecialRole role, boolean added, int id, String flag) {
        if (!added) return;
        Long stated = spec.specialIds.get(role);
        if (stated != null && (stated < 0 || stated >= vocab.size())) {
            throw new GgufException(file.path() + ": " + role.key + ": " + stated + ", expected a token id below "
                    + vocab.size() + " (" + PREFIX + flag + " asks for it)");
        }
        if (id < 0) {
            throw new GgufException(file.path() + ": " + role.key + ": missing, expected a token id: " + PREFIX + flag
                    + " (or the tokenizer type's default) puts a " + role + " token in every prompt");
        }
    }

    /** Token texts are arbitrary: keep the one line one line. */
    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().limit(40).forEach(cp -> {
            if (Character.isISOControl(cp)) out.append(String.format("\\u%04x", cp));
            else out.appendCodePoint(cp);
        });
        return text.codePointCount(0, text.length()) > 40 ? out + "..." : out.toString();
    }
}
