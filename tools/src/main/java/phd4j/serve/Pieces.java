package phd4j.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import phd4j.TokenListener;
import phd4j.sample.TokenLogprob;

/**
 * A request's listener on the decode thread: it hands each piece of text, with its token's
 * log-probabilities when the request asks for them, to the request's own thread (a queue when
 * streaming, else a list read once the generation is done), and stops the generation once the
 * client has gone. It never blocks, so a slow client holds up no one.
 */
final class Pieces implements TokenListener {
    /** A piece of the reply; {@code logprob} is null for text no token of its own made (a held-back tail) or when not asked for. */
    record Piece(String text, TokenLogprob logprob) {}

    /** The last element of a stream (compared by identity). */
    static final Piece END = new Piece("", null);

    private final boolean stream;
    private final int topLogprobs; // -1: none
    private final LinkedBlockingQueue<Piece> queue = new LinkedBlockingQueue<>();
    private final List<Piece> whole = new ArrayList<>();
    private final AtomicBoolean gone = new AtomicBoolean();
    private TokenLogprob sampled; // of the token onToken is about to get

    Pieces(boolean stream, int topLogprobs) {
        this.stream = stream;
        this.topLogprobs = topLogprobs;
    }

    @Override
    public void onSampled(int token, float[] logits, int offset, int n) {
        if (topLogprobs >= 0) sampled = TokenLogprob.of(logits, offset, n, token, topLogprobs);
    }

    @Override
    public boolean onToken(int token, String text) {
        TokenLogprob lp = token >= 0 ? sampled : null;
        sampled = null;
        if (!text.isEmpty() || lp != null) {
            Piece p = new Piece(text, lp);
            if (stream) queue.add(p);
            else whole.add(p);
        }
        return !gone.get();
    }

    /** Called once the generation has ended, whichever way: the stream's reader then gets {@link #END}. */
    void end() {
        queue.add(END);
    }

    /** The next streamed piece, or {@link #END}. */
    Piece take() throws InterruptedException {
        return queue.take();
    }

    /** Every piece of a whole (not streamed) reply, once its generation is done. */
    List<Piece> whole() {
        return whole;
    }

    /** The client has gone: the generation stops at its next token. */
    void clientGone() {
        gone.set(true);
    }

    boolean isClientGone() {
        return gone.get();
    }
}
