package phd4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.tokenizer.BpeTrainer;
import phd4j.tokenizer.StreamDecoder;
import phd4j.tokenizer.Tokenizer;

class TokenDatasetTest {
    static final String A = "It is a truth universally acknowledged, that a single man in possession of a good fortune, "
            + "must be in want of a wife.\n".repeat(1) + "However little known the feelings or views of such a man may be.\n";
    static Tokenizer tok;

    @BeforeAll
    static void vocab() {
        BpeTrainer t = new BpeTrainer("gpt-2");
        t.addText(A.repeat(3));
        tok = t.train(320, 2, BpeTrainer.MergeProgress.NONE).tokenizer();
    }

    static List<Path> files(Path dir) throws IOException {
        Path a = dir.resolve("a.txt"), b = dir.resolve("b.txt");
        Files.writeString(a, A.repeat(8));
        Files.writeString(b, "First Citizen:\nBefore we proceed any further, hear me speak.\n".repeat(6));
        return List.of(a, b);
    }

    static int[] expected(Path f, Tokenizer t) throws IOException {
        int[] ids = t.encode(Files.readString(f), false, false);
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = t.eos();
        return out;
    }

    @Test
    void cacheIsReusedAndRebuiltWhenAFileOrTheTokenizerChanges(@TempDir Path dir) throws IOException {
        List<Path> files = files(dir);
        Path cache = dir.resolve("cache");
        long total;
        try (TokenDataset d = TokenDataset.open(files, tok, cache, 0.1)) {
            assertTrue(d.rebuilt());
            total = d.totalTokens();
            assertEquals(expected(files.get(0), tok).length + expected(files.get(1), tok).length, total);
        }
        try (TokenDataset d = TokenDataset.open(files, tok, cache, 0.2)) {
            assertFalse(d.rebuilt(), "same files, same tokenizer: the cache is reused (the fraction is not part of it)");
            assertEquals(total, d.totalTokens());
        }
        Files.writeString(files.get(1), "A changed file.\n", java.nio.file.StandardOpenOption.APPEND);
        try (TokenDataset d = TokenDataset.open(files, tok, cache, 0.1)) {
            assertTrue(d.rebuilt(), "a file changed");
            assertEquals(expected(files.get(1), tok).length, d.fileTokens(1));
        }
        // a torn cache (wrong length) is rebuilt
        Path cacheFile;
        try (TokenDataset d = TokenDataset.open(files, tok, cache, 0.1)) {
            assertFalse(d.rebuilt());
            cacheFile = d.cacheFile();
        }
        byte[] bytes = Files.readAllBytes(cacheFile);
        Files.write(cacheFile, Arrays.copyOf(bytes, bytes.length - 2));
        try (TokenDataset d = TokenDataset.open(files, tok, cache, 0.1)) {
            assertTrue(d.rebuilt());
        }
        // another tokenizer: another cache, and the tokens are its own
        Tokenizer wide = new CharTokenizer();
        try (TokenDataset d = TokenDataset.open(files, wide, cache, 0.1)) {
            assertTrue(d.rebuilt());
            assertEquals(70_000, d.vocabSize());
            int[] want = expected(files.get(0), wide);
            int[] got = new int[want.length];
            long n0 = d.fileTokens(0), v0 = Math.round(n0 * 0.1);
            d.train().read(0, got, 0, (int) (n0 - v0));
            d.validation().read(0, got, (int) (n0 - v0), (int) v0);
            assertArrayEquals(want, got, "int32 storage (vocabulary > 65536)");
        }
        assertThrows(IllegalArgumentException.class, () -> TokenDataset.open(files, tok, cache, 1.0));
        Path latin1 = dir.resolve("latin1.txt");
        Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xE9});
        assertThrows(IllegalArgumentException.class, () -> TokenDataset.open(List.of(latin1), tok, cache, 0.1));
    }

    @Test
    void validationIsTheTailOfEachFileAndDisjointFromTraining(@TempDir Path dir) throws IOException {
        List<Path> files = files(dir);
        try (TokenDataset d = TokenDataset.open(files, tok, dir.resolve("cache"), 0.25)) {
            TokenDataset.Split tr = d.train(), va = d.validation();
            assertEquals(2, tr.segmentCount());
            assertEquals(2, va.segmentCount());
            assertEquals(d.totalTokens(), tr.size() + va.size());
            for (int f = 0; f < 2; f++) {
                int[] want = expected(files.get(f), tok);
                long v = Math.round(want.length * 0.25);
                assertEquals(want.length - v, tr.segmentLength(f));
                assertEquals(v, va.segmentLength(f));
                for (long i = 0; i < tr.segmentLength(f); i++) assertEquals(want[(int) i], tr.get(tr.segmentStart(f) + i));
                for (long i = 0; i < v; i++) assertEquals(want[(int) (want.length - v + i)], va.get(va.segmentStart(f) + i));
            }
            // every training window lies inside a training segment, so it never touches validation
            int seqLen = 16;
            TokenDataset.BatchSampler s = tr.sampler(seqLen, 8, 42);
            for (long step = 0; step < 200; step++) {
                TokenDataset.Batch b = s.batch(step);
                for (int r = 0; r < 8; r++) {
                    long start = b.starts()[r];
                    int seg = start < tr.segmentStart(1) ? 0 : 1;
                    assertTrue(start + seqLen + 1 <= tr.segmentStart(seg) + tr.segmentLength(seg), "window " + start);
                    for (int t = 0; t < seqLen; t++) {
                        assertEquals(tr.get(start + t), b.inputs()[r * seqLen + t]);
                        assertEquals(tr.get(start + t + 1), b.targets()[r * seqLen + t]);
                    }
                }
            }
            // evaluation windows score every validation token but each segment's first, once
            for (int seqLen2 : new int[] {5, 7, 16}) {
                int scored = 0;
                boolean[] seen = new boolean[(int) va.size()];
                for (TokenDataset.Window w : va.windows(seqLen2)) {
                    for (int t = w.scoredFrom(); t < seqLen2; t++) {
                        int target = (int) (w.start() + 1 + t);
                        assertFalse(seen[target], "scored twice: " + target);
                        seen[target] = true;
                        scored++;
                    }
                }
                assertEquals(va.size() - va.segmentCount(), scored, "seqLen " + seqLen2);
            }
        }
    }

    @Test
    void batchesDependOnlyOnSeedAndStep(@TempDir Path dir) throws IOException {
        List<Path> files = files(dir);
        try (TokenDataset d = TokenDataset.open(files, tok, dir.resolve("cache"), 0.1)) {
            TokenDataset.BatchSampler a = d.train().sampler(8, 4, 7), b = d.train().sampler(8, 4, 7), c = d.train().sampler(8, 4, 8);
            assertArrayEquals(a.batch(5).inputs(), b.batch(5).inputs());
            assertArrayEquals(a.batch(5).starts(), b.batch(5).starts());
            assertFalse(Arrays.equals(a.batch(5).starts(), a.batch(6).starts()));
            assertFalse(Arrays.equals(a.batch(5).starts(), c.batch(5).starts()));
            assertArrayEquals(new long[] {a.start(5, 0), a.start(5, 1), a.start(5, 2), a.start(5, 3)}, a.batch(5).starts());
            assertThrows(IllegalArgumentException.class, () -> d.validation().sampler(10_000, 1, 1));
        }
    }

    /** One token per UTF-16 char plus an EOS at 69 999: a vocabulary too big for uint16. */
    static final class CharTokenizer implements Tokenizer {
        public int vocabSize() { return 70_000; }
        public int[] encode(String text, boolean addSpecial, boolean parseSpecial) { return text.chars().toArray(); }
        public byte[] pieceBytes(int token) { return String.valueOf((char) token).getBytes(java.nio.charset.StandardCharsets.UTF_8); }
        public String decode(int[] tokens) { return new String(tokens, 0, tokens.length); }
        public StreamDecoder streamDecoder() { throw new UnsupportedOperationException(); }
        public int bos() { return -1; }
        public int eos() { return 69_999; }
        public boolean addBos() { return false; }
        public boolean isEndOfGeneration(int token) { return token == 69_999; }
        public String tokenText(int token) { return String.valueOf((char) token); }
    }
}
