package phd4j.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.Model;

/**
 * Found by the fuzzer (FuzzTest, gguf case 544): a mutant whose key length swallowed the next
 * bytes produced a message quoting kilobytes of binary, line breaks included. Text from the file
 * is now capped where quoted and every GgufException is one line.
 */
class OneLineMessageTest {
    @TempDir Path dir;

    @Test
    void controlCharactersAreEscaped() {
        GgufException e = new GgufException("f.gguf: key 'a\nb\r\u0000c': bad");
        assertEquals("f.gguf: key 'a\\u000ab\\u000d\\u0000c': bad", e.getMessage());
    }

    @Test
    void quotedFileTextIsCapped() {
        String quoted = GgufException.quote("k".repeat(5000));
        assertTrue(quoted.length() < 100 && quoted.endsWith("(5000 chars)"), quoted);
    }

    @Test
    void aValueWithLineBreaksStaysOnOneLine() {
        Path f = dir.resolve("arch.gguf");
        GgufWriter.write(f, Map.of("general.architecture", GgufValue.ofString("lla\nma\n\n" + "x".repeat(300))), List.of());
        GgufException e = assertThrows(GgufException.class, () -> Model.load(f, 1).close());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    }
}
