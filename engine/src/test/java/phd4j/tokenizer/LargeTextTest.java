package phd4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import phd4j.testing.SharedFiles;

/**
 * Encoding about a megabyte finishes: a pass quadratic in the text would take hours, a linear one
 * takes about a second, so a 60 s bound tells them apart on any machine, however loaded. (Speed
 * itself is a benchmark's business, not a test's.)
 */
class LargeTextTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "gpt-2", "llama-bpe"})
    void encodesTinyShakespeareInLinearTime(String vocab) throws IOException {
        String text = Files.readString(SharedFiles.file("corpus/tinyshakespeare.txt"));
        Tokenizer t = VocabFixtures.tokenizer(vocab);
        int[] tokens = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> t.encode(text, false, true),
                vocab + ": encoding 1.1 MB did not finish in 60 s (a quadratic pass?)");
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
