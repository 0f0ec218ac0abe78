package phd4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.Model;
import phd4j.phd.PhdConfig;

/** phd train end to end: recipe, overrides, metrics, export, and an interrupted run resumed to the same bytes. */
class TrainCliTest {
    @TempDir
    Path dir;

    @Test
    void trainsExportsAndResumesBitIdentically() throws Exception {
        Path vocab = dir.resolve("vocab.gguf");
        CliTest.Result r = CliTest.phd("synth", "--shape", "tiny", "--type", "f32", "-o", vocab.toString());
        assertEquals(0, r.status(), r.err());
        Files.writeString(dir.resolve("text.txt"), "it is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.\n".repeat(20));
        Files.writeString(dir.resolve("r.recipe"), """
                # tiny test recipe
                data = text.txt
                vocab = vocab.gguf
                dim = 32
                layers = 2
                heads = 4
                kv_heads = 2
                ffn = 64
                seq_len = 16
                phd_k = 3
                phd_variant = phd-swa
                phd_window = 4
                batch = 2
                steps = 8
                warmup = 2
                lr = 1e-2
                min_lr = 1e-3
                eval_every = 4
                eval_windows = 2
                checkpoint_every = 3
                threads = 2
                out = a.gguf
                """);
        String recipe = dir.resolve("r.recipe").toString();
        r = CliTest.phd("train", recipe);
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("step 8/8") && r.err().contains("val "), r.err());
        Path a = dir.resolve("a.gguf");
        try (Model m = Model.load(a, 1)) {
            assertEquals(new PhdConfig(3, PhdConfig.Variant.SWA, 4, 0), m.phd());
        }
        long lines = Files.readAllLines(dir.resolve("a.gguf.metrics.jsonl")).size();
        assertEquals(9, lines, "a recipe line and one line per step");

        r = CliTest.phd("train", recipe, "--out", "b.gguf", "--stop-after", "5");
        assertEquals(0, r.status(), r.err());
        assertTrue(Files.exists(dir.resolve("b.gguf.ckpt")) && !Files.exists(dir.resolve("b.gguf")), r.err());
        r = CliTest.phd("train", recipe, "--out=b.gguf", "--resume");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("resumed at step 5"), r.err());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(dir.resolve("b.gguf")), "interrupted + resumed = straight run");

        r = CliTest.phd("train", recipe, "--stpes", "3");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("unknown key 'stpes'"), r.err());
    }
}
