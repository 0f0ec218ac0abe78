package phd4j.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.PriorityQueue;

/**
 * llama.cpp's SentencePiece merge for one text fragment: start from single characters, and keep
 * merging the adjacent pair whose concatenation is the vocabulary token with the highest score
 * (ties: the leftmost pair). Symbols that end up not being tokens are emitted as byte tokens.
 * A priority queue with stale-entry skipping keeps it O(n log n) in the fragment length.
 */
final class SpmMerge {
    private SpmMerge() {}

    private record Bigram(int left, int right, float score, int length) {}

    static void encode(Vocab vocab, String text, BaseTokenizer.IntList out) {
        int n = text.codePointCount(0, text.length());
        // symbols form a linked list over the text; start[i], len[i] in chars, len 0 = merged away
        int[] start = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, offset = 0; i < n; i++) {
            start[i] = offset;
            len[i] = Character.charCount(text.codePointAt(offset));
            offset += len[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>(Math.max(1, n), (a, b) -> {
            int byScore = Float.compare(b.score(), a.score());
            return byScore != 0 ? byScore : Integer.compare(a.left(), b.left());
        });
        for (int i = 1; i < n; i++) offer(vocab, text, start, len, i - 1, i, queue);

        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            int l = b.left(), r = b.right();
            // skip pairs whose symbols have changed since the pair was queued
            if (len[l] == 0 || len[r] == 0 || len[l] + len[r] != b.length()) continue;
            len[l] += len[r];
            len[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) offer(vocab, text, start, len, prev[l], l, queue);
            if (next[l] >= 0) offer(vocab, text, start, len, l, next[l], queue);
        }

        for (int i = 0; i >= 0 && n > 0; i = next[i]) {
            String symbol = text.substring(start[i], start[i] + len[i]);
            int id = vocab.id(symbol);
            if (id >= 0) {
                out.add(id);
                continue;
            }
            // Only single characters can be missing from the vocabulary: every merge made a token.
            for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) out.add(byteToken(vocab, b));
        }
    }

    private static void offer(Vocab vocab, String text, int[] start, int[] len, int left, int right,
                              PriorityQueue<Bigram> queue) {
        int length = len[left] + len[right];
        int id = vocab.id(text.substring(start[left], start[left] + length));
        if (id >= 0) queue.add(new Bigram(left, right, vocab.scores[id], length));
    }

    /** The "&lt;0xNN&gt;" token, or else a token spelled as that single byte, as llama.cpp looks it up. */
    static int byteToken(Vocab vocab, byte b) {
        int id = vocab.id(String.format("<0x%02X>", b & 0xFF));
        if (id < 0 && b >= 0) id = vocab.id(String.valueOf((char) b));
        if (id < 0) throw new IllegalStateException(String.format("the vocabulary has no byte token <0x%02X>", b & 0xFF));
        return id;
    }
}
