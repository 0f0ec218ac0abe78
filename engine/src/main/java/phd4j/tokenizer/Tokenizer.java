package phd4j.tokenizer;

import phd4j.gguf.GgufException;
import phd4j.gguf.GgufFile;

/**
 * Text to token ids and back, reproducing llama.cpp's tokenizers for the vocabularies a GGUF file
 * carries. Implementations are immutable and thread-safe.
 */
public interface Tokenizer {

    /**
     * The tokenizer the file's metadata describes: {@code tokenizer.ggml.model} "llama" gives
     * SentencePiece, "gpt2" byte-level BPE (with the pre-tokenizer {@code tokenizer.ggml.pre} names).
     *
     * @throws GgufException naming the file and the key, for another model type, an unsupported
     *     pre-tokenizer or inconsistent tokenizer metadata: per-token arrays of different lengths,
     *     a byte token not spelled "&lt;0xNN&gt;", a SentencePiece vocabulary without its byte
     *     tokens, a BOS or EOS that is added to prompts but missing or out of range
     */
    static Tokenizer fromGguf(GgufFile file) {
        VocabSpec spec = GgufVocabReader.read(file);
        BaseTokenizer tokenizer;
        try {
            tokenizer = Tokenizers.of(spec);
        } catch (IllegalArgumentException e) {
            throw new GgufException(file.path() + ": " + e.getMessage());
        }
        VocabChecks.requireUsable(file, spec, tokenizer);
        return tokenizer;
    }

    int vocabSize();

    /**
     * As llama.cpp's {@code llama_tokenize(text, add_special, parse_special)}.
     *
     * @param addSpecial add BOS/EOS where the model's metadata asks for them
     * @param parseSpecial recognise control tokens written in the text (e.g. "&lt;s&gt;");
     *     user-defined tokens are recognised either way
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /** The bytes llama.cpp's token_to_piece gives with special=false: control tokens are empty. */
    byte[] pieceBytes(int token);

    /**
     * The pieces concatenated and read as UTF-8, invalid sequences becoming U+FFFD. No leading
     * space is removed and no spaces are cleaned up (unlike llama_detokenize): this is the text a
     * generation loop prints piece by piece.
     */
    String decode(int[] tokens);

    /** A decoder for streaming generation; not thread-safe, one per stream. */
    StreamDecoder streamDecoder();

    /** The BOS id, or -1 if none. */
    int bos();

    /** The EOS id, or -1 if none. */
    int eos();

    /** Whether {@code encode(text, true, ...)} starts with BOS. */
    boolean addBos();

    /** EOS, EOT, EOM and the other tokens llama.cpp ends generation on. */
    boolean isEndOfGeneration(int token);

    /** The token's raw vocabulary string, for debugging and info. */
    String tokenText(int token);
}
