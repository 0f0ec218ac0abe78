package phd4j.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Trains a byte-level BPE vocabulary in llama.cpp's {@code gpt2} form (see {@link TrainedVocab}).
 * It lives in this package to reuse the pre-tokenizers ({@link PreTokenizer}) and the byte
 * alphabet ({@link ByteLevelAlphabet}) of the tokenizer that will later encode with the result,
 * so training and encoding cut words identically.
 *
 * <p>Algorithm (standard BPE over pre-tokenized words, as in GPT-2 and HF tokenizers):
 * <ol>
 *   <li>{@link #addText} cuts text into words with the pre-tokenizer and counts each distinct
 *       word once (a word's count is how often it occurs); words are spelled as UTF-8 bytes.</li>
 *   <li>Every adjacent symbol pair in every distinct word is counted, weighted by the word's count
 *       (overlapping pairs such as the two "a a" in "aaa" both count).</li>
 *   <li>Repeatedly the most frequent pair is merged into a new symbol in every word holding it
 *       (left to right, non-overlapping), and only the counts of the words that changed are
 *       updated (a pair-to-words index and a lazily refreshed max-heap).</li>
 * </ol>
 *
 * <p><b>Tie-breaking</b> (deterministic, independent of hash order and thread count): among pairs
 * of equal count the one with the smaller left token id wins, then the smaller right token id.
 * Token ids are the byte value for the 256 byte tokens (id b = byte b) and then the order in
 * which merges created them, so the result depends only on the text and the settings.
 *
 * <p>Training stops when the vocabulary (256 bytes + merged tokens + the end-of-text token)
 * reaches the requested size, or earlier when no pair occurs at least {@code minPairCount} times.
 * When a merge produces a string that is already a token (e.g. "ab"+"c" after "a"+"bc"), the merge
 * is still recorded but reuses the existing token, as HF tokenizers do.
 */
public final class BpeTrainer {
    /** The end-of-text token, llama.cpp's BOS and EOS of the trained vocabulary (type control). */
    public static final String END_OF_TEXT = "<|endoftext|>";

    private final PreTokenizer pre;
    private final Map<String, long[]> words = new HashMap<>();
    private long wordCount;

    /**
     * @param preName {@code tokenizer.ggml.pre}: "gpt-2" (GPT-2's regex; llama.cpp's choice for
     *     GPT-2 itself) or "llama-bpe" (Llama 3's regex: digits in groups of three, whole-word lookup)
     * @throws IllegalArgumentException for another name
     */
    public BpeTrainer(String preName) {
        if (!preName.equals("gpt-2") && !preName.equals("llama-bpe")) {
            throw new IllegalArgumentException("unsupported pre-tokenizer for training: " + preName + " (gpt-2 or llama-bpe)");
        }
        this.pre = PreTokenizer.forName(preName);
    }

    /** Counts the words of one text (a document); may be called for many texts. Not thread-safe. */
    public void addText(String text) {
        int[] cps = text.codePoints().toArray();
        BaseTokenizer.IntList lengths = pre.split(cps);
        int start = 0;
        for (int w = 0; w < lengths.size(); w++) {
            int end = start + lengths.get(w);
            String word = new String(cps, start, end - start);
            start = end;
            words.computeIfAbsent(word, k -> new long[1])[0]++;
            wordCount++;
        }
    }

    /** Words counted so far (with repetition). */
    public long wordCount() {
        return wordCount;
    }

    /** Distinct words counted so far. */
    public int distinctWords() {
        return words.size();
    }

    /** Told how many merges are done out of at most {@code total}. */
    @FunctionalInterface
    public interface MergeProgress {
        MergeProgress NONE = (done, total) -> {};

        void update(int done, int total);
    }

    /**
     * Learns merges until the vocabulary has {@code vocabSize} tokens (including the 256 byte
     * tokens and {@link #END_OF_TEXT}) or no pair occurs {@code minPairCount} times.
     */
    public TrainedVocab train(int vocabSize, int minPairCount, MergeProgress progress) {
        if (vocabSize < 257) throw new IllegalArgumentException("vocabulary size must be >= 257 (256 bytes + end-of-text), got " + vocabSize);
        if (minPairCount < 1) throw new IllegalArgumentException("minimum pair count must be >= 1, got " + minPairCount);
        List<String> tokens = new ArrayList<>(vocabSize);
        Map<String, Integer> ids = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            String s = String.valueOf(ByteLevelAlphabet.encode((byte) b));
            tokens.add(s);
            ids.put(s, b);
        }

        // distinct words in a deterministic order (sorted), as byte-id arrays
        List<String> keys = new ArrayList<>(words.keySet());
        keys.sort(null);
        int nw = keys.size();
        int[][] sym = new int[nw][];
        int[] len = new int[nw];
        long[] cnt = new long[nw];
        for (int w = 0; w < nw; w++) {
            byte[] bytes = keys.get(w).getBytes(StandardCharsets.UTF_8);
            sym[w] = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) sym[w][i] = bytes[i] & 0xFF;
            len[w] = bytes.length;
            cnt[w] = words.get(keys.get(w))[0];
        }

        Map<Long, Pair> pairs = new HashMap<>();
        for (int w = 0; w < nw; w++) {
            for (int i = 0; i + 1 < len[w]; i++) {
                Pair p = pairs.computeIfAbsent(key(sym[w][i], sym[w][i + 1]), Pair::new);
                p.count += cnt[w];
                p.addWord(w);
            }
        }
        PriorityQueue<long[]> heap = new PriorityQueue<>(BpeTrainer::heapOrder);
        for (Pair p : pairs.values()) heap.add(new long[] {p.count, p.key});

        List<String> merges = new ArrayList<>();
        int[] visited = new int[nw];
        java.util.Arrays.fill(visited, -1);
        int target = vocabSize - 1; // the last id is END_OF_TEXT
        int maxMerges = target - 256;
        Map<Long, Pair> increased = new HashMap<>();
        while (tokens.size() < target) {
            long[] top = heap.poll();
            if (top == null) break;
            Pair best = pairs.get(top[1]);
            long current = best == null ? 0 : best.count;
            if (current != top[0]) {
                if (current > 0 && current < top[0]) heap.add(new long[] {current, top[1]});
                continue;
            }
            if (current < minPairCount) break;
            int a = (int) (best.key >>> 32), b = (int) best.key;
            String merged = tokens.get(a) + tokens.get(b);
            merges.add(tokens.get(a) + " " + tokens.get(b));
            Integer existing = ids.get(merged);
            int id;
            if (existing != null) {
                id = existing;
            } else {
                id = tokens.size();
                tokens.add(merged);
                ids.put(merged, id);
            }
            int stamp = merges.size();
            increased.clear();
            int[] where = best.words;
            int whereCount = best.wordCount;
            for (int k = 0; k < whereCount; k++) {
                int w = where[k];
                if (visited[w] == stamp) continue;
                visited[w] = stamp;
                int[] s = sym[w];
                int n = len[w];
                boolean holds = false;
                for (int i = 0; i + 1 < n && !holds; i++) holds = s[i] == a && s[i + 1] == b;
                if (!holds) continue; // a stale index entry: the word changed since
                long c = cnt[w];
                for (int i = 0; i + 1 < n; i++) {
                    Pair p = pairs.get(key(s[i], s[i + 1]));
                    p.count -= c;
                }
                int m = 0;
                for (int i = 0; i < n; ) {
                    if (i + 1 < n && s[i] == a && s[i + 1] == b) {
                        s[m++] = id;
                        i += 2;
                    } else {
                        s[m++] = s[i++];
                    }
                }
                len[w] = m;
                for (int i = 0; i + 1 < m; i++) {
                    long k2 = key(s[i], s[i + 1]);
                    Pair p = pairs.computeIfAbsent(k2, Pair::new);
                    p.count += c;
                    p.addWord(w);
                    if (s[i] == id || s[i + 1] == id) increased.put(k2, p);
                }
            }
            pairs.remove(best.key);
            // pairs not holding the new token only lost counts: their heap entries refresh lazily
            List<Pair> fresh = new ArrayList<>(increased.values());
            fresh.sort((x, y) -> Long.compare(x.key, y.key));
            for (Pair p : fresh) if (p.count > 0) heap.add(new long[] {p.count, p.key});
            progress.update(merges.size(), maxMerges);
        }
        int n = tokens.size();
        tokens.add(END_OF_TEXT);
        int[] types = new int[tokens.size()];
        java.util.Arrays.fill(types, 1 /* normal */);
        types[n] = 3 /* control */;
        return new TrainedVocab(pre.name(), List.copyOf(tokens), types, List.copyOf(merges), n);
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    /** Highest count first; ties: smaller left id, then smaller right id (the key orders both). */
    private static int heapOrder(long[] x, long[] y) {
        if (x[0] != y[0]) return Long.compare(y[0], x[0]);
        return Long.compare(x[1], y[1]);
    }

    private static final class Pair {
        final long key;
        long count;
        int[] words = new int[4];
        int wordCount;

        Pair(long key) {
            this.key = key;
        }

        void addWord(int w) {
            if (wordCount > 0 && words[wordCount - 1] == w) return; // the same word, consecutive pairs
            if (wordCount == words.length) words = java.util.Arrays.copyOf(words, wordCount * 2);
            words[wordCount++] = w;
        }
    }
}
