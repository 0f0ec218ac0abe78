package phd4j.gguf;

import java.nio.file.Path;

/**
 * A GGUF file that cannot be opened, is malformed, or lacks what was asked of it.
 * Messages read {@code "<file>: <field> at byte <offset>: <problem>"}; the offset is left out
 * where it is not known (for example a metadata key that is missing altogether).
 */
public final class GgufException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public GgufException(String message) {
        super(message);
    }

    public GgufException(String message, Throwable cause) {
        super(message, cause);
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
