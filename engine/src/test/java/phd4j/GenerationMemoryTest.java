package phd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.convert.Progress;
import phd4j.simd.GgmlType;
import phd4j.synth.Arch;
import phd4j.model.ModelShape;
import phd4j.synth.SyntheticModel;

/**
 * An unbounded streaming generation runs in constant memory far past its context (issue 17:
 * Session.generate kept every token and the whole text, and -n 600000 -c 64 died of
 * OutOfMemoryError in a 16 MB heap). Run in a JVM of its own with a 16 MB heap.
 */
class GenerationMemoryTest {
    static final long TOKENS = 200_000;
    private static final Pattern LINE = Pattern.compile("generated=(\\d+) kept=(\\d+) text=(\\d+) heapEarly=(\\d+) heapEnd=(\\d+)");

    @TempDir Path dir;

    @Test
    void unboundedGenerationStaysInConstantHeap() throws Exception {
        Path model = dir.resolve("tiny.gguf");
        SyntheticModel.write(model, new SyntheticModel.Options(Arch.LLAMA, ModelShape.parse("32,1,2,1,64,260"), GgmlType.F32, 3, 64, null, null), Progress.NONE);

        Matcher streamed = probe(model, "16m", "stream");
        assertEquals(TOKENS, Long.parseLong(streamed.group(1)));
        assertEquals("0", streamed.group(2), "no tokens kept");
        assertEquals("0", streamed.group(3), "no text kept");
        long growth = Long.parseLong(streamed.group(5)) - Long.parseLong(streamed.group(4));
        assertTrue(growth < 512 * 1024, "heap grew by " + growth + " bytes over " + TOKENS * 9 / 10 + " tokens");
    }

    /** The same probe sees the growth when the output is kept: the measurement can fail. */
    @Test
    void keptOutputGrowsTheHeap() throws Exception {
        Path model = dir.resolve("tiny.gguf");
        SyntheticModel.write(model, new SyntheticModel.Options(Arch.LLAMA, ModelShape.parse("32,1,2,1,64,260"), GgmlType.F32, 3, 64, null, null), Progress.NONE);
        Matcher kept = probe(model, "64m", "keep");
        assertEquals(String.valueOf(TOKENS), kept.group(2));
        long growth = Long.parseLong(kept.group(5)) - Long.parseLong(kept.group(4));
        assertTrue(growth > 512 * 1024, "heap grew by only " + growth + " bytes");
    }

    private static Matcher probe(Path model, String heap, String mode) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap, "-XX:+UseSerialGC", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), UnboundedGenerationProbe.class.getName(), model.toString(), String.valueOf(TOKENS), mode));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (var in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe still running");
        assertEquals(0, p.exitValue(), output);
        Matcher m = LINE.matcher(output);
        assertTrue(m.find(), output);
        return m;
    }
}
