package phd4j.fuzz;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import phd4j.tokenizer.StreamDecoder;
import phd4j.tokenizer.Tokenizer;

/**
 * Encode and decode on every vocabulary with {@link TextGenerator}'s text: a case RAN when
 * encode (with and without special tokens, as drawn) gives ids inside the vocabulary, decode
 * and a streaming decode of them agree, and a decode of random ids works; anything thrown is
 * UNCLEAN (neither documents an exception for a string or for ids in range).
 */
final class TokenizerTarget {
    record Vocabulary(String name, Tokenizer tokenizer) {}

    private final List<Vocabulary> vocabularies;
    private final TextGenerator text;
    private final long caseMillis;

    TokenizerTarget(List<Vocabulary> vocabularies, TextGenerator text, long caseMillis) {
        this.vocabularies = vocabularies;
        this.text = text;
        this.caseMillis = caseMillis;
    }

    Tally run(long cases, long seed) throws Exception {
        Tally tally = new Tally();
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tokenizer-fuzz");
            t.setDaemon(true);
            return t;
        });
        try {
            for (long i = 0; i < cases; i++) {
                SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + i);
                Vocabulary v = vocabularies.get(rnd.nextInt(vocabularies.size()));
                String input = text.next(rnd);
                boolean addSpecial = rnd.nextBoolean(), parseSpecial = rnd.nextBoolean();
                long idSeed = rnd.nextLong();
                String id = "case " + i + " (seed " + seed + ", " + v.name() + ", " + input.length() + " chars, add " + addSpecial + ", special " + parseSpecial + ")";
                Future<String> f = worker.submit(() -> check(v.tokenizer(), input, addSpecial, parseSpecial, new SplittableRandom(idSeed)));
                try {
                    String problem = f.get(caseMillis, TimeUnit.MILLISECONDS);
                    if (problem == null) tally.ran();
                    else tally.failed(Tally.Outcome.UNCLEAN, id + ": " + problem);
                } catch (TimeoutException e) {
                    tally.failed(Tally.Outcome.HANG, id);
                    throw new IllegalStateException("tokenizer hang, stopping the campaign: " + id);
                } catch (java.util.concurrent.ExecutionException e) {
                    tally.failed(Tally.Outcome.UNCLEAN, id + ": " + Tally.describe(e.getCause()));
                }
            }
        } finally {
            worker.shutdownNow();
        }
        return tally;
    }

    /** Null when everything held, else what did not. */
    private static String check(Tokenizer t, String input, boolean addSpecial, boolean parseSpecial, SplittableRandom rnd) {
        int n = t.vocabSize();
        int[] ids = t.encode(input, addSpecial, parseSpecial);
        for (int id : ids) if (id < 0 || id >= n) return "encode gave id " + id + " outside 0.." + (n - 1);
        String whole = t.decode(ids);
        String streamed = streamed(t, ids);
        if (!whole.equals(streamed)) return "decode and the stream decoder differ: " + esc(whole) + " vs " + esc(streamed);
        int[] random = new int[rnd.nextInt(32)];
        for (int i = 0; i < random.length; i++) random[i] = rnd.nextInt(n);
        String randomWhole = t.decode(random);
        if (!randomWhole.equals(streamed(t, random))) return "decode and stream differ on ids " + Arrays.toString(random);
        return null;
    }

    private static String streamed(Tokenizer t, int[] ids) {
        StreamDecoder d = t.streamDecoder();
        StringBuilder b = new StringBuilder();
        for (int id : ids) b.append(d.push(id));
        return b.append(d.finish()).toString();
    }

    private static String esc(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(60).forEach(cp -> b.append(cp < 0x20 || cp > 0x7e ? String.format("\\u%04x", cp) : String.valueOf((char) cp)));
        return b.toString();
    }
}
