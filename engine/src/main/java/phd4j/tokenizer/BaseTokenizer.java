package phd4j.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** What both tokenizers share: the vocabulary, the rendered pieces, decoding and the special ids. */
abstract class BaseTokenizer implements Tokenizer {
    final Vocab vocab;
    private final byte[][] pieces;

    BaseTokenizer(Vocab vocab) {
        this.vocab = vocab;
        pieces = new byte[vocab.size()][];
        for (int i = 0; i < pieces.length; i++) {
            // control and unknown tokens render empty (llama.cpp's token_to_piece with special=false)
            pieces[i] = vocab.has(i, TokenAttr.CONTROL | TokenAttr.UNKNOWN) ? new byte[0] : renderPiece(i);
        }
    }

    /** The bytes of a token that is not control/unknown, as llama.cpp's token_to_piece builds them. */
    abstract byte[] renderPiece(int token);

    /**
     * The piece of a vocabulary that writes spaces as '▁' (SentencePiece, gemma4): user-defined
     * tokens as written, normal ones with '▁' back to ' ', byte tokens as their byte, others empty.
     */
    final byte[] spacedPiece(int token) {
        String text = vocab.texts[token];
        if (vocab.has(token, TokenAttr.USER_DEFINED)) return text.getBytes(StandardCharsets.UTF_8);
        if (vocab.has(token, TokenAttr.NORMAL)) return text.replace(SentencePieceTokenizer.SPACE, " ").getBytes(StandardCharsets.UTF_8);
        if (vocab.has(token, TokenAttr.BYTE)) return new byte[] {byteTokenValue(token)};
        return new byte[0]; // unused and undefined tokens render empty
    }

    /** The id for a role the vocabulary's add-BOS/EOS flags ask for. */
    final int requireSpecial(SpecialRole role) {
        int id = vocab.special(role);
        if (id < 0) throw new IllegalStateException("the vocabulary asks for a " + role + " token but has none");
        return id;
    }

    /** llama.cpp's byte tokens are written "<0xNN>". */
    final byte byteTokenValue(int token) {
        return (byte) Integer.parseInt(vocab.texts[token].substring(3, 5), 16);
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public byte[] pieceBytes(int token) {
        return pieces[token].clone();
    }

    @Override
    public String decode(int[] tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int token : tokens) out.writeBytes(pieces[token]);
        byte[] bytes = out.toByteArray();
        return Utf8.decode(bytes, 0, bytes.length);
    }

    @Override
    public StreamDecoder streamDecoder() {
        return new StreamDecoder(this);
    }

    @Override
    public int bos() {
        return vocab.special(SpecialRole.BOS);
    }

    @Override
    public int eos() {
        return vocab.special(SpecialRole.EOS);
    }

    @Override
    public boolean addBos() {
        return vocab.addBos;
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        return vocab.isEndOfGeneration(token);
    }

    @Override
    public String tokenText(int token) {
        return vocab.texts[token];
    }

    /** Growable int list for token output, to avoid boxing on large texts. */
    static final class IntList {
        private int[] a = new int[16];
        private int n;

        void add(int v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        int size() {
            return n;
        }

        int get(int i) {
            return a[i];
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }
}
