package phd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.gguf.GgufFile;
import phd4j.tokenizer.Tokenizer;

/** train-tokenizer and perplexity as a user meets them. */
class TrainDataCliTest {
    static final String TEXT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
            + "One day, she saw a big red ball. She was very happy and ran to get it.\n";

    @Test
    void trainTokenizerWritesALoadableVocabulary(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("t.txt"), out = dir.resolve("v.gguf");
        Files.writeString(text, TEXT.repeat(5));
        CliTest.Result r = CliTest.phd("train-tokenizer", "-o", out.toString(), "--vocab-size", "300", text.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("wrote " + out + ": 300 tokens"), r.err());
        try (GgufFile f = GgufFile.open(out)) {
            Tokenizer t = Tokenizer.fromGguf(f);
            assertEquals(300, t.vocabSize());
            assertEquals(TEXT, t.decode(t.encode(TEXT, true, false)));
            assertEquals("gpt-2", f.getString("tokenizer.ggml.pre"));
        }
        CliTest.Result small = CliTest.phd("train-tokenizer", "-o", out.toString(), "--vocab-size", "100000", "--pre", "llama-bpe", text.toString());
        assertEquals(0, small.status(), small.err());
        assertTrue(small.err().contains("note: stopped at"), small.err());

        assertEquals(2, CliTest.phd("train-tokenizer", "-o", out.toString(), "--vocab-size", "100", text.toString()).status());
        assertEquals(2, CliTest.phd("train-tokenizer", "-o", out.toString(), "--vocab-size", "300", "--pre", "bogus", text.toString()).status());
        assertEquals(2, CliTest.phd("train-tokenizer", "-o", out.toString(), "--vocab-size", "300").status(), "no files");
        CliTest.Result missing = CliTest.phd("train-tokenizer", "-o", out.toString(), "--vocab-size", "300", dir.resolve("nope.txt").toString());
        assertEquals(1, missing.status());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        Path latin1 = dir.resolve("latin1.txt");
        Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xE9});
        CliTest.Result notUtf8 = CliTest.phd("train-tokenizer", "-o", out.toString(), "--vocab-size", "300", latin1.toString());
        assertEquals(1, notUtf8.status());
        assertTrue(notUtf8.err().contains("not UTF-8"), notUtf8.err());
    }

    @Test
    void perplexityEndsWithItsValue(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("story.txt");
        Files.writeString(text, TEXT.repeat(3));
        String model = CliTest.stories();
        CliTest.Result r = CliTest.phd("perplexity", "-m", model, "-f", text.toString(), "-c", "32", "-t", "1");
        assertEquals(0, r.status(), r.err());
        String last = r.out().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.matches("perplexity: \\d+\\.\\d{4}"), last);
        double ppl = Double.parseDouble(last.substring("perplexity: ".length()));
        assertTrue(ppl > 1 && ppl < 30, "stories260K on a TinyStories-like text: " + ppl);
        assertTrue(r.err().contains("windows of 32"), r.err());

        CliTest.Result tooShort = CliTest.phd("perplexity", "-m", model, "-f", text.toString(), "-c", "512");
        assertEquals(1, tooShort.status());
        assertTrue(tooShort.err().contains("needs at least 1024"), tooShort.err());
        assertEquals(2, CliTest.phd("perplexity", "-m", model, "-f", text.toString(), "-c", "2").status());
        assertEquals(2, CliTest.phd("perplexity", "-m", model).status(), "no text");
    }
}
