package phd4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every case of llama.cpp's test-tokenizer-0 vectors, and the decode round trip on them. */
class VocabFixtureTest {

    static Stream<VocabFixtures.Case> cases() {
        return VocabFixtures.NAMES.stream().flatMap(name -> VocabFixtures.cases(name).stream());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void encodesLikeLlamaCpp(VocabFixtures.Case c) {
        Tokenizer t = VocabFixtures.tokenizer(c.vocab());
        assertArrayEquals(c.expected(), t.encode(c.text(), false, false), () -> c + ": " + java.util.Arrays.toString(t.encode(c.text(), false, false)));
    }

    /** SPM adds a space in front of the text; decoding keeps it, so it is dropped here. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decodeRestoresTheText(VocabFixtures.Case c) {
        Tokenizer t = VocabFixtures.tokenizer(c.vocab());
        String decoded = t.decode(t.encode(c.text(), false, false));
        if (t instanceof SentencePieceTokenizer && !c.text().isEmpty()) {
            assertEquals(' ', decoded.charAt(0));
            decoded = decoded.substring(1);
        }
        assertEquals(c.text(), decoded);
    }
}
