package phd4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Streaming decode over byte tokens: held back while incomplete, U+FFFD as soon as it cannot complete. */
class StreamDecoderTest {
    private final TestVocabs.Builder vocab = new TestVocabs.Builder().llamaBase().normal("▁hi", -1);
    private final Tokenizer tokenizer = Tokenizers.of(vocab.spec("llama"));

    private String[] pushBytes(StreamDecoder d, int... bytes) {
        String[] out = new String[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = d.push(TestVocabs.byteToken(bytes[i]));
        return out;
    }

    @Test
    void twoByteCharacterWaitsForItsSecondByte() {
        StreamDecoder d = tokenizer.streamDecoder();
        String[] out = pushBytes(d, 0xC3, 0xA9); // é
        assertEquals("", out[0]);
        assertEquals("é", out[1]);
        assertEquals("", d.finish());
    }

    @Test
    void fourByteEmojiOverFourTokens() {
        StreamDecoder d = tokenizer.streamDecoder();
        String[] out = pushBytes(d, 0xF0, 0x9F, 0xA6, 0x99); // 🦙
        assertEquals("", out[0] + out[1] + out[2]);
        assertEquals("🦙", out[3]);
    }

    @Test
    void textBeforeAnIncompleteCharacterIsNotHeldBack() {
        StreamDecoder d = tokenizer.streamDecoder();
        assertEquals(" hi", d.push(vocab.id("▁hi")));
        assertEquals("", d.push(TestVocabs.byteToken(0xE2)));
        assertEquals("", d.push(TestVocabs.byteToken(0x82)));
        assertEquals("€", d.push(TestVocabs.byteToken(0xAC)));
    }

    @Test
    void brokenSequenceBecomesReplacementWhenTheNextByteArrives() {
        StreamDecoder d = tokenizer.streamDecoder();
        String[] out = pushBytes(d, 0xC3, 'A');
        assertEquals("", out[0]);
        assertEquals("\uFFFDA", out[1]);
    }

    @Test
    void strayBytesAreReplacedAtOnce() {
        StreamDecoder d = tokenizer.streamDecoder();
        assertEquals("\uFFFD", pushBytes(d, 0x80)[0]); // continuation without a lead
        assertEquals("\uFFFD", pushBytes(d, 0xFF)[0]); // never valid
        assertEquals("\uFFFD\uFFFD", pushBytes(d, 0xE0, 0x80)[1]); // overlong: E0 needs A0..BF next
        assertEquals("", d.finish());
    }

    @Test
    void unfinishedCharacterAtTheEndIsReplacedByFinish() {
        StreamDecoder d = tokenizer.streamDecoder();
        pushBytes(d, 0xF0, 0x9F);
        assertEquals("\uFFFD", d.finish());
        assertEquals("", d.finish());
    }

    @Test
    void streamingAlwaysEqualsDecodingEverything() {
        Random random = new Random(42);
        for (int round = 0; round < 2000; round++) {
            int n = 1 + random.nextInt(12);
            int[] tokens = new int[n];
            for (int i = 0; i < n; i++) {
                // mostly plausible UTF-8 bytes, sometimes anything
                int b = random.nextInt(4) == 0 ? random.nextInt(256) : new int[] {0x41, 0x80, 0x9F, 0xBF, 0xC3, 0xE2, 0xED, 0xF0, 0xF4}[random.nextInt(9)];
                tokens[i] = TestVocabs.byteToken(b);
            }
            StreamDecoder d = tokenizer.streamDecoder();
            StringBuilder streamed = new StringBuilder();
            for (int t : tokens) streamed.append(d.push(t));
            streamed.append(d.finish());
            assertEquals(tokenizer.decode(tokens), streamed.toString());
        }
    }

    @Test
    void decodeReplacesEachMaximalInvalidSubpart() {
        assertEquals("\uFFFDx", decodeBytes(0xE2, 0x82, 'x')); // a truncated sequence is one subpart
        assertEquals("\uFFFD\uFFFD\uFFFD", decodeBytes(0xED, 0xA0, 0x80)); // a surrogate: three (the JDK says one)
        assertEquals("\uFFFD\uFFFD", decodeBytes(0xC0, 0xAF)); // overlong lead byte, then a stray continuation
        assertEquals("a\uFFFD", decodeBytes('a', 0xF0, 0x9F, 0xA6));
    }

    private String decodeBytes(int... bytes) {
        int[] tokens = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) tokens[i] = TestVocabs.byteToken(bytes[i]);
        return tokenizer.decode(tokens);
    }
}
