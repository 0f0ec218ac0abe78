package phd4j.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the read-only material in {@code ../shared} through the {@code PHD4J_SHARED} variable.
 * Unset: tests that need it are skipped, so a fresh clone passes. Set but incomplete: they fail.
 * A relative value is taken from the project root (where {@code ./phd test} runs).
 */
public final class SharedFiles {
    private SharedFiles() {}

    public static Path dir() {
        String v = System.getenv("PHD4J_SHARED");
        Assumptions.assumeTrue(v != null && !v.isBlank(), "PHD4J_SHARED is not set");
        Path p = Path.of(v);
        String root = System.getProperty("phd4j.root");
        if (!p.isAbsolute() && root != null) p = Path.of(root).resolve(p); // as set in the project root, not the module folder
        if (!Files.isDirectory(p)) fail("PHD4J_SHARED=" + v + " is not a folder (resolved to " + p.toAbsolutePath() + ")");
        return p;
    }

    public static Path file(String relative) {
        Path p = dir().resolve(relative);
        if (!Files.isRegularFile(p)) fail("missing shared file " + p);
        return p;
    }
}
