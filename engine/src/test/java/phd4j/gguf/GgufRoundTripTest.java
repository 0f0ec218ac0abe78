package phd4j.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading every shared GGUF and writing it back gives the same bytes: the writer follows llama.cpp's layout. */
class GgufRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void everySharedFileRoundTripsByteForByte() throws IOException {
        List<Path> files = GgufFileTest.sharedGgufs();
        for (Path p : files) {
            Path out = tmp.resolve(p.getFileName());
            try (GgufFile in = GgufFile.open(p)) {
                GgufWriter.copy(in, out);
            }
            long mismatch = Files.mismatch(p, out);
            assertEquals(-1, mismatch, p + " differs from its copy at byte " + mismatch
                    + " (sizes " + Files.size(p) + " and " + Files.size(out) + ")");
        }
        try (var s = Files.list(tmp)) {
            assertTrue(s.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "temporary files left behind");
        }
    }
}
