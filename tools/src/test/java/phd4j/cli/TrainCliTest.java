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

        assertTrue(Files.readString(dir.resolve("a.gguf.loss.svg")).contains("<polyline"), "a loss curve at the end");

        r = CliTest.phd("train-plot", dir.resolve("a.gguf.metrics.jsonl").toString(), dir.resolve("b.gguf.metrics.jsonl").toString(),
                "-o", dir.resolve("ab.svg").toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("| phd4j model | PHD-SWA-3-4 |") && r.out().split("\n").length == 4, r.out());
        String svg = Files.readString(dir.resolve("ab.svg"));
        assertTrue(svg.contains("stroke-dasharray") && svg.split("<polyline").length == 5, "two runs, train and validation each");

        r = CliTest.phd("train", recipe, "--stpes", "3");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("unknown key 'stpes'"), r.err());
    }

    @Test
    void trainsItsOwnVocabularyOnSeveralFiles() throws Exception {
        Files.writeString(dir.resolve("one.txt"), "it is a truth universally acknowledged, that a single man in possession of a good fortune\n".repeat(30));
        Files.writeString(dir.resolve("two.txt"), "must be in want of a wife. however little known the feelings or views of such a man may be\n".repeat(30));
        Files.writeString(dir.resolve("v.recipe"), """
                data = one.txt, two.txt
                vocab_train = 300
                val_fraction = 0.1
                dim = 16
                layers = 1
                heads = 2
                kv_heads = 2
                ffn = 32
                seq_len = 16
                batch = 2
                steps = 3
                warmup = 1
                eval_every = 0
                threads = 1
                plot = false
                out = out/v.gguf
                """);
        CliTest.Result r = CliTest.phd("train", dir.resolve("v.recipe").toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("trained a 300-token BPE vocabulary") && r.err().contains("2 files"), r.err());
        try (Model m = Model.load(dir.resolve("out/v.gguf"), 1)) {
            assertEquals(300, m.tokenizer().vocabSize());
        }
        assertTrue(!Files.exists(dir.resolve("out/v.gguf.loss.svg")));
        r = CliTest.phd("train", dir.resolve("v.recipe").toString(), "--out", "out/w.gguf");
        assertEquals(0, r.status(), r.err());
        assertTrue(!r.err().contains("trained a") && r.err().contains("cached in"), "vocabulary and tokens come from the cache: " + r.err());
        assertArrayEquals(Files.readAllBytes(dir.resolve("out/v.gguf")), Files.readAllBytes(dir.resolve("out/w.gguf")));

        r = CliTest.phd("train", dir.resolve("v.recipe").toString(), "--vocab", "x.gguf");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("exactly one of 'vocab'"), r.err());
    }
}
