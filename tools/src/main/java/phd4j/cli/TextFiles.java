package phd4j.cli;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Reading training and evaluation text: strict UTF-8, so a binary or Latin-1 file is refused, not mangled. */
final class TextFiles {
    private TextFiles() {}

    static String decode(Path file, byte[] data) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(data)).toString();
        } catch (CharacterCodingException e) {
            throw new Main.UserException(file + ": not UTF-8 text");
        }
    }
}
