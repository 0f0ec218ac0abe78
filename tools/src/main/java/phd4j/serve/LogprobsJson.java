package phd4j.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import phd4j.sample.TokenLogprob;
import phd4j.tokenizer.Tokenizer;

/**
 * Log-probabilities in OpenAI's two shapes: chat's {@code logprobs.content[]} of
 * {token, logprob, bytes, top_logprobs[]}, and the completions API's {@code logprobs} of parallel
 * arrays (tokens, token_logprobs, top_logprobs as token -> logprob, text_offset). A token's
 * string is its piece read as UTF-8 ({@code bytes} has the exact bytes, for a token that is part
 * of a character).
 */
final class LogprobsJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final Tokenizer tokenizer;
    private int textOffset; // completions: where in the reply the next piece starts

    LogprobsJson(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Chat's {@code {content: [...], refusal: null}} for these pieces' tokens. */
    ObjectNode chat(List<Pieces.Piece> pieces) {
        ObjectNode o = NODES.objectNode();
        ArrayNode content = o.putArray("content");
        for (Pieces.Piece p : pieces) {
            TokenLogprob lp = p.logprob();
            if (lp == null) continue;
            ObjectNode e = entry(lp.token(), lp.logprob());
            ArrayNode top = e.putArray("top_logprobs");
            for (int i = 0; i < lp.topTokens().length; i++) top.add(entry(lp.topTokens()[i], lp.topLogprobs()[i]));
            content.add(e);
        }
        o.putNull("refusal");
        return o;
    }

    /** The completions API's object for these pieces, the next ones of the reply (offsets run on across calls). */
    ObjectNode completion(List<Pieces.Piece> pieces) {
        ObjectNode o = NODES.objectNode();
        ArrayNode tokens = o.putArray("tokens");
        ArrayNode logprobs = o.putArray("token_logprobs");
        ArrayNode tops = o.putArray("top_logprobs");
        ArrayNode offsets = o.putArray("text_offset");
        for (Pieces.Piece p : pieces) {
            TokenLogprob lp = p.logprob();
            if (lp != null) {
                tokens.add(text(lp.token()));
                logprobs.add(lp.logprob());
                ObjectNode top = tops.addObject();
                for (int i = 0; i < lp.topTokens().length; i++) {
                    String t = text(lp.topTokens()[i]);
                    if (!top.has(t)) top.put(t, lp.topLogprobs()[i]); // two ids with one text: the likelier one's
                }
                offsets.add(textOffset);
            }
            textOffset += p.text().length();
        }
        return o;
    }

    private ObjectNode entry(int token, double logprob) {
        ObjectNode e = NODES.objectNode().put("token", text(token)).put("logprob", logprob);
        ArrayNode bytes = e.putArray("bytes");
        for (byte b : bytes(token)) bytes.add(b & 0xff);
        return e;
    }

    private String text(int token) {
        return new String(bytes(token), StandardCharsets.UTF_8);
    }

    /** Logits may have rows past the tokenizer's vocabulary (padding): those tokens have no text. */
    private byte[] bytes(int token) {
        return token < tokenizer.vocabSize() ? tokenizer.pieceBytes(token) : new byte[0];
    }
}
