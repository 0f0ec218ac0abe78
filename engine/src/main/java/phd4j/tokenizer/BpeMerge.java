package phd4j.tokenizer;

import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * llama.cpp's BPE merge for one pre-tokenized word (in the byte-level alphabet, or raw text for
 * gemma4): start from single code points and keep merging the adjacent pair with the lowest merge
 * rank (ties: the leftmost pair) until no adjacent pair has a rank.
 */
final class BpeMerge {
    private BpeMerge() {}

    /**
     * {@code tokenizer.ggml.merges} as "left right" -> rank (its position); the first occurrence of
     * a pair wins, and an entry without a separating space is skipped, as in llama.cpp.
     */
    static Map<String, Integer> ranks(String[] merges, String model) {
        if (merges == null) throw new IllegalArgumentException("tokenizer.ggml.merges: missing, and a " + model + " tokenizer needs them");
        Map<String, Integer> ranks = HashMap.newHashMap(merges.length);
        for (int i = 0; i < merges.length; i++) {
            String merge = merges[i];
            int space = merge.indexOf(' ', 1); // from 1: a merge may start with a space token
            if (space >= 0) ranks.putIfAbsent(merge, i);
        }
        return ranks;
    }

    private record Bigram(int left, int right, int rank, int length) {}

    /** Splits word into its final symbols and hands each to out as [start, end). */
    static void merge(String word, Map<String, Integer> ranks, SymbolSink out) {
        // symbols are indexed by their first UTF-16 char; a surrogate pair is one symbol of length 2
        int n = word.length();
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, last = -1; i < n; last = i, i += len[i]) {
            len[i] = Character.charCount(word.codePointAt(i));
            prev[i] = last;
            next[i] = -1;
            if (last >= 0) next[last] = i;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>(Math.max(1, n), (a, b) ->
                a.rank() != b.rank() ? Integer.compare(a.rank(), b.rank()) : Integer.compare(a.left(), b.left()));
        for (int i = 0; i >= 0 && n > 0 && next[i] >= 0; i = next[i]) offer(word, ranks, len, i, next[i], queue);

        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            int l = b.left(), r = b.right();
            // a pair is stale once either side has changed; symbol starts never move, so lengths tell
            if (len[l] == 0 || len[r] == 0 || len[l] + len[r] != b.length()) continue;
            len[l] += len[r];
            len[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) offer(word, ranks, len, prev[l], l, queue);
            if (next[l] >= 0) offer(word, ranks, len, l, next[l], queue);
        }
        for (int i = 0; i >= 0 && n > 0; i = next[i]) out.accept(i, i + len[i]);
    }

    private static void offer(String word, Map<String, Integer> ranks, int[] len, int left, int right,
                              PriorityQueue<Bigram> queue) {
        String key = word.substring(left, left + len[left]) + " " + word.substring(right, right + len[right]);
        Integer rank = ranks.get(key);
        if (rank != null) queue.add(new Bigram(left, right, rank, len[left] + len[right]));
    }

    interface SymbolSink {
        void accept(int start, int end);
    }
}
