package phd4j.gguf;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;

/** Shared assertions for opening malformed files: one GgufException naming the file, quickly. */
final class OpenExpectations {
    private OpenExpectations() {}

    /** Generous for one open of a small file; a hang or a giant allocation takes far longer. */
    static final Duration TIME_BOUND = Duration.ofSeconds(5);

    /** Opening {@code p} must fail with a GgufException from the parser's own checks; returns it. */
    static GgufException assertOpenFails(Path p, String label) {
        return assertTimeoutPreemptively(TIME_BOUND, () -> openExpectingFailure(p, label), label);
    }

    /** Like {@link #assertOpenFails} without a thread per call, for loops over thousands of cases (bound them as a whole). */
    static GgufException openExpectingFailure(Path p, String label) {
        Throwable t = outcome(p);
        if (t == null) fail(label + ": opened, but should have failed");
        checkGgufException(t, p, label);
        return (GgufException) t;
    }

    /** Opening may succeed (some mutations leave a valid file) or fail, but only with a proper GgufException. */
    static void openSucceedsOrFailsCleanly(Path p, String label) {
        Throwable t = outcome(p);
        if (t != null) checkGgufException(t, p, label);
    }

    /** The open's failure, or null when it opened. */
    static Throwable outcome(Path p) {
        try (GgufFile f = GgufFile.open(p)) {
            assertNotNull(f.metadata());
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    private static void checkGgufException(Throwable t, Path p, String label) {
        if (!(t instanceof GgufException e)) {
            throw new AssertionError(label + ": expected a GgufException, got " + t, t);
        }
        String m = e.getMessage();
        assertTrue(m.startsWith(p.toString() + ": "), label + ": message does not name the file: " + m);
        assertFalse(m.contains("internal error"), label + ": a check is missing in the parser: " + m);
    }
}
