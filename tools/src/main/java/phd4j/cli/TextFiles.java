package phd4j.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading training and evaluation text: strict UTF-8, so a binary or Latin-1 file is refused, not mangled. */
final class TextFiles {
    private TextFiles() {}

    /**
     * A regular file's text. A FIFO or device is refused before it is opened (opening a FIFO with
     * no writer blocks forever), and every failure is one line naming the file.
     */
    static String read(Path file) {
        return decode(file, readBytes(file));
    }

    static byte[] readBytes(Path file) {
        requireRegular(file);
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new Main.UserException(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new Main.UserException(file + ": permission denied");
        } catch (IOException e) {
            throw new Main.UserException(file + ": cannot read: " + e.getMessage());
        }
    }

    /** Refuses a folder, FIFO, socket or device by its attributes, without opening it. */
    static void requireRegular(Path file) {
        if (Files.isDirectory(file)) throw new Main.UserException(file + ": is a folder, not a file");
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new Main.UserException(file + ": not a regular file (a FIFO, socket or device)");
        }
    }

    static String decode(Path file, byte[] data) {
        return decode(data).orElseThrow(() -> new Main.UserException(file + ": not UTF-8 text"));
    }

    /** Strict UTF-8, empty for malformed input. */
    static java.util.Optional<String> decode(byte[] data) {
        try {
            return java.util.Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(data)).toString());
        } catch (CharacterCodingException e) {
            return java.util.Optional.empty();
        }
    }
}
