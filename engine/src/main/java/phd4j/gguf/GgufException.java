package phd4j.gguf;

import java.nio.file.Path;

/**
 * A GGUF file that cannot be opened, is malformed, or lacks what was asked of it.
 * Messages read {@code "<file>: <field> at byte <offset>: <problem>"}; the offset is left out
 * where it is not known (for example a metadata key that is missing altogether). Always one
 * line: text from the file quoted in a message (a key, a token) may hold line breaks and other
 * control characters, which are written as escapes.
 */
public final class GgufException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public GgufException(String message) {
        super(oneLine(message));
    }

    public GgufException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    private static String oneLine(String message) {
        if (message == null || message.chars().noneMatch(Character::isISOControl)) return message;
        StringBuilder b = new StringBuilder(message.length());
        message.chars().forEach(c -> b.append(Character.isISOControl(c) ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return b.toString();
    }

    /** Text from the file for a message: at most 64 characters of it, so a garbled key cannot flood the line. */
    static String quote(String text) {
        return text.length() <= 64 ? text : text.substring(0, 64) + "... (" + text.length() + " chars)";
    }

    /** A problem with one field at a known byte offset of {@code file}. */
    static GgufException at(Path file, String field, long offset, String problem) {
        return new GgufException(file + ": " + field + " at byte " + offset + ": " + problem);
    }

    /** A problem with one field whose position in the file is not known or not relevant. */
    static GgufException of(Path file, String field, String problem) {
        return new GgufException(file + ": " + field + ": " + problem);
    }
}
