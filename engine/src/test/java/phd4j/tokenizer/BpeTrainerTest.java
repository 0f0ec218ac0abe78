package phd4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.gguf.GgufFile;
import phd4j.testing.SharedFiles;

class BpeTrainerTest {
    static final List<String> TRICKY = List.of(
            "", " ", "  ", "\n\n\n", "\t x \r\n y", "Hello, world! It's 2024: 12345678 apples.",
            "naïve café — “quotes” ‘single’ …", "日本語のテキスト、そして中文。", "emoji 👩‍👩‍👧 🇫🇷 ✨",
            "mixed\u00a0nbsp\u2028line\u2029para", "combining e\u0301 a\u0308", "\uD800 lone surrogate? no: \uFFFD",
            "Ελληνικά Русский עברית العربية", "<|endoftext|> is plain text here", "   leading and trailing   ");

    private static TrainedVocab train(String pre, int size, String... texts) {
        BpeTrainer t = new BpeTrainer(pre);
        for (String s : texts) t.addText(s);
        return t.train(size, 1, BpeTrainer.MergeProgress.NONE);
    }

    @Test
    void mergesTheMostFrequentPairWithTiesToTheSmallerIds() {
        // words (gpt-2 split): "aab" x3 ... pair counts: a a = 3, a b = 3 + 1 ("ab"), ...
        TrainedVocab v = train("gpt-2", 257 + 3, "aab aab aab ab cd");
        // "ab"(4) first; then words: "a ab" x3 (Ġ + "a" + "ab" for the later ones), pairs: a+ab 3, Ġ+a 2, Ġ+ab 1...
        assertEquals("a b", v.merges().get(0));
        assertEquals(ByteLevelAlphabet.encode((byte) 'a') + " ab", v.merges().get(1));
        // then count-2 pairs: "Ġ a" (ids 32? no: Ġ is byte 0x20 = id 32) ties with nothing higher
        assertEquals("Ġ aab", v.merges().get(2));
        assertEquals(257 + 3, v.size());
        assertEquals(v.size() - 1, v.endOfText());
        assertEquals(BpeTrainer.END_OF_TEXT, v.tokens().get(v.endOfText()));
        // equal counts: "x y" and "p q" both once, "p q" has the smaller left id
        TrainedVocab tie = train("gpt-2", 258, "xy", "pq");
        assertEquals("p q", tie.merges().get(0));
    }

    @Test
    void stopsWhenNoPairIsFrequentEnough() {
        BpeTrainer t = new BpeTrainer("gpt-2");
        t.addText("abc abd");
        TrainedVocab v = t.train(1000, 2, BpeTrainer.MergeProgress.NONE);
        // pairs: "a b" twice ("abc", "Ġabd"), every other pair once
        assertEquals(List.of("a b"), v.merges());
        assertEquals(256 + 1 + 1, v.size());
    }

    @Test
    void trainedVocabRoundTripsTheCorporaThroughAGgufFile(@TempDir Path dir) throws IOException {
        Path shakespeare = SharedFiles.file("corpus/tinyshakespeare.txt");
        String[] corpora = new String[3];
        String[] names = {"tinyshakespeare.txt", "janeausten.txt", "brown.txt"};
        for (int i = 0; i < 3; i++) corpora[i] = head(SharedFiles.file("corpus/" + names[i]), i == 0 ? 600_000 : 100_000);
        for (String pre : List.of("gpt-2", "llama-bpe")) {
            long t0 = System.nanoTime();
            TrainedVocab v = train(pre, 1024, corpora[0]);
            Path file = dir.resolve(pre + ".gguf");
            v.write(file);
            Tokenizer tok;
            try (GgufFile f = GgufFile.open(file)) {
                tok = Tokenizer.fromGguf(f);
            }
            assertEquals(1024, tok.vocabSize());
            assertEquals(1023, tok.bos());
            assertEquals(1023, tok.eos());
            assertTrue(!tok.addBos());
            assertTrue(tok.isEndOfGeneration(1023));
            for (String text : corpora) {
                int[] ids = tok.encode(text, true, false);
                assertEquals(text, tok.decode(ids));
                assertArrayEquals(v.tokenizer().encode(text, true, false), ids);
                assertTrue(ids.length < text.length() / 2, pre + ": " + ids.length + " tokens for " + text.length() + " chars");
            }
            for (String text : TRICKY) {
                String expected = new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8); // lone surrogate -> '?'
                assertEquals(expected, tok.decode(tok.encode(text, true, false)), pre + ": " + text);
            }
            int[] special = tok.encode("a<|endoftext|>b", false, true);
            assertArrayEquals(new int[] {'a', 1023, 'b'}, special);
            System.out.printf("%s: trained and checked in %.1f s%n", pre, (System.nanoTime() - t0) / 1e9);
        }
    }

    @Test
    void sameTextSameVocabulary() {
        String text = "the cat sat on the mat; the rat ate the cat's hat. 1234 5678 ".repeat(20);
        TrainedVocab a = train("llama-bpe", 300, text), b = train("llama-bpe", 300, text);
        assertEquals(a.merges(), b.merges());
        assertEquals(a.tokens(), b.tokens());
    }

    static String head(Path file, int chars) throws IOException {
        String s = Files.readString(file);
        return s.length() <= chars ? s : s.substring(0, chars);
    }
}
