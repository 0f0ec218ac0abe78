package phd4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteLevelAlphabetTest {
    @Test
    void everyByteHasItsOwnCharacterAndComesBack() {
        Set<Character> seen = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            char c = ByteLevelAlphabet.encode((byte) b);
            seen.add(c);
            assertEquals(b, ByteLevelAlphabet.decode(c));
        }
        assertEquals(256, seen.size());
    }

    @Test
    void gpt2Spellings() {
        assertEquals('Ġ', ByteLevelAlphabet.encode((byte) ' '));
        assertEquals('Ċ', ByteLevelAlphabet.encode((byte) '\n'));
        assertEquals('A', ByteLevelAlphabet.encode((byte) 'A'));
        assertEquals('é', ByteLevelAlphabet.encode((byte) 0xE9));
        assertEquals(-1, ByteLevelAlphabet.decode('€'));
    }
}
