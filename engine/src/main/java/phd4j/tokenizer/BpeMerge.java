package phd4j.tokenizer;

import java.util.Map;
import java.util.PriorityQueue;

/**
 * llama.cpp's BPE merge for one pre-tokenized word (already in the byte-level alphabet): start
 * from single characters and keep merging the adjacent pair with the lowest merge rank (ties: the
 * leftmost pair) until no adjacent pair has a rank.
 */
final class BpeMerge {
    private BpeMerge() {}

    private record Bigram(int left, int right, int rank, int length) {}

    /** Splits word into its final symbols and hands each to out as [start, end). */
    static void merge(String word, Map<String, Integer> ranks, SymbolSink out) {
        int n = word.length(); // every byte-level character is one UTF-16 char
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            len[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>(Math.max(1, n), (a, b) ->
                a.rank() != b.rank() ? Integer.compare(a.rank(), b.rank()) : Integer.compare(a.left(), b.left()));
        for (int i = 1; i < n; i++) offer(word, ranks, len, i - 1, i, queue);

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
