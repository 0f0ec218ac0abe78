package phd4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import phd4j.testing.SharedFiles;

/** Encoding about a megabyte stays well under a second or two: no pass is quadratic in the text. */
class LargeTextTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "gpt-2", "llama-bpe"})
    void encodesTinyShakespeareQuickly(String vocab) throws IOException {
        String text = Files.readString(SharedFiles.file("corpus/tinyshakespeare.txt"));
        Tokenizer t = VocabFixtures.tokenizer(vocab);
        t.encode(text.substring(0, 50_000), false, true); // warm up the JIT
        long start = System.nanoTime();
        int[] tokens = t.encode(text, false, true);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%s: %d chars -> %d tokens in %.2f s%n", vocab, text.length(), tokens.length, seconds);
        assertTrue(seconds < 4, vocab + " took " + seconds + " s");
        if (t instanceof SentencePieceTokenizer spm) {
            // the split into independent stretches must not change anything
            BaseTokenizer.IntList whole = new BaseTokenizer.IntList();
            SpmMerge.encode(spm.vocab, (" " + text).replace(" ", SentencePieceTokenizer.SPACE), whole);
            assertArrayEquals(whole.toArray(), tokens);
        }
        String decoded = t.decode(tokens);
        assertEquals(text, t instanceof SentencePieceTokenizer ? decoded.substring(1) : decoded);
    }
}
