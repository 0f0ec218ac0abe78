package phd4j.tokenizer;

import java.io.ByteArrayOutputStream;

/**
 * Turns a stream of tokens into text as it arrives. A character whose UTF-8 bytes are spread over
 * several tokens (byte-fallback tokens, byte-level BPE pieces) is held back until it completes;
 * bytes that can no longer complete come out as U+FFFD, exactly where {@link Tokenizer#decode}
 * would put them, so the pushed texts plus {@link #finish()} always equal decode of all tokens.
 */
public final class StreamDecoder {
    private final Tokenizer tokenizer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    StreamDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds one token and returns the text it completes (possibly empty). */
    public String push(int token) {
        pending.writeBytes(tokenizer.pieceBytes(token));
        byte[] bytes = pending.toByteArray();
        int keep = Utf8.incompleteTailLength(bytes, bytes.length);
        String text = Utf8.decode(bytes, 0, bytes.length - keep);
        pending.reset();
        pending.write(bytes, bytes.length - keep, keep);
        return text;
    }

    /** Ends the stream: what is still held back, as U+FFFD. */
    public String finish() {
        byte[] bytes = pending.toByteArray();
        String text = Utf8.decode(bytes, 0, bytes.length);
        pending.reset();
        return text;
    }
}
