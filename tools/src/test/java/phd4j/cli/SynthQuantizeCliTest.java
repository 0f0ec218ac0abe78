package phd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.gguf.GgufFile;
import phd4j.simd.GgmlType;

/** phd synth and phd quantize as a user meets them: files written, one-line errors, progress lines. */
class SynthQuantizeCliTest {
    @TempDir
    Path dir;

    @Test
    void synthThenQuantizeThenRun() {
        Path f32 = dir.resolve("tiny-F32.gguf"), q4 = dir.resolve("tiny-Q4_0.gguf");
        CliTest.Result r = CliTest.phd("synth", "--shape", "tiny", "--type", "f32", "-o", f32.toString(), "--seed", "5");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("synth 100%"), r.err());
        r = CliTest.phd("quantize", f32.toString(), q4.toString(), "Q4_0");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("note: output.weight"), "the output matrix's type is explained: " + r.err());
        assertTrue(r.err().contains("quantize 100%"), r.err());
        try (GgufFile f = GgufFile.open(q4)) {
            assertEquals(GgmlType.Q4_0, f.tensor("blk.0.ffn_up.weight").type());
            assertEquals(GgmlType.Q8_0, f.tensor("output.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blk.0.ffn_norm.weight").type());
        }
        r = CliTest.phd("run", "-m", q4.toString(), "-p", "hi", "-n", "3", "--temp", "0", "-t", "1");
        assertEquals(0, r.status(), r.err());
    }

    @Test
    void plainProgressIsOneLinePerTenthAndTheTerminalBarRedraws() {
        StringWriter plain = new StringWriter(), tty = new StringWriter();
        ProgressBar p = new ProgressBar(new PrintWriter(plain), "job", false);
        for (int i = 0; i <= 1000; i++) p.update(i, 1000, "t");
        p.finish();
        assertEquals(11, plain.toString().lines().count(), plain.toString());
        ProgressBar t = new ProgressBar(new PrintWriter(tty), "job", true);
        t.update(1, 1000, "first");
        t.update(1000, 1000, "last");
        t.finish();
        assertTrue(tty.toString().startsWith("\rjob   0% [") && tty.toString().contains("\rjob 100% ["), tty.toString());
        assertEquals(1, tty.toString().chars().filter(c -> c == '\n').count(), "one line, redrawn, ended once");
    }

    @Test
    void mistakesAreOneLine() {
        String out = dir.resolve("x.gguf").toString();
        assertUsage(CliTest.phd("synth", "--shape", "huge", "-o", out), "unknown shape");
        assertUsage(CliTest.phd("synth", "--shape", "tiny", "--dims", "64,2,4,2,128,320", "-o", out), "either --shape");
        assertUsage(CliTest.phd("synth", "--dims", "64,2,4,3,128,320", "-o", out), "kv heads");
        assertUsage(CliTest.phd("synth", "--shape", "tiny", "--type", "Q3_K", "-o", out), "unsupported type");
        assertUsage(CliTest.phd("synth", "--shape", "tiny", "--type", "Q6_K", "-o", out), "not a multiple of the Q6_K block size 256");
        assertUsage(CliTest.phd("synth", "--shape", "tiny", "--phd-k", "2", "--phd-variant", "phd-swa", "-o", out), "window");
        assertUsage(CliTest.phd("synth", "--shape", "tiny", "--phd-window", "4", "-o", out), "--phd-k");
        assertUsage(CliTest.phd("synth", "--dims", "64,1,4,4,128,100", "-o", out), "too small");
        assertUsage(CliTest.phd("quantize", "a.gguf", out, "Q2_K"), "unsupported type");
        CliTest.Result r = CliTest.phd("quantize", dir.resolve("missing.gguf").toString(), out, "Q8_0");
        assertEquals(1, r.status());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(Path.of(out)));
    }

    private static void assertUsage(CliTest.Result r, String says) {
        assertEquals(2, r.status(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(says), r.err());
    }
}
