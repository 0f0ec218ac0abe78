package phd4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.Model;
import phd4j.Session;
import phd4j.testing.RandomModels;
import phd4j.testing.SharedFiles;

class PerplexityTest {

    @Test
    void logProbabilityByHand() {
        assertEquals(Math.log(0.75), Perplexity.logProbability(new float[] {0, (float) Math.log(3)}, 1), 1e-7);
        assertEquals(Math.log(0.25), Perplexity.logProbability(new float[] {2, 2, 2, 2}, 3), 1e-12);
        assertEquals(-1000 - Math.log1p(Math.exp(-1000)), Perplexity.logProbability(new float[] {1000, 0}, 1), 1e-9);
    }

    /**
     * A tiny PHD model, ctx 8, 20 tokens: 2 windows (the last 4 tokens dropped), each with BOS as its
     * first token, scoring positions 4..6 (3 tokens per window). The reference scores them through
     * another path: token-by-token decoding in a fresh session per window.
     */
    @Test
    void windowsBosAndScoredHalfAsLlamaPerplexity(@TempDir Path dir) {
        Path file = RandomModels.write(dir, RandomModels.Spec.of(32, 2, 4, 2, 64, 300, 64, 11).withPhd(2, "phd", null, null));
        Random rnd = new Random(3);
        int[] tokens = new int[20];
        tokens[0] = RandomModels.BOS;
        for (int i = 1; i < tokens.length; i++) tokens[i] = 3 + rnd.nextInt(297);
        try (Model model = Model.load(file, 1)) {
            assertTrue(model.tokenizer().addBos());
            Perplexity.Result r = Perplexity.compute(model, tokens, 8, Perplexity.WindowProgress.NONE);
            assertEquals(2, r.windows());
            assertEquals(6, r.scored());
            double nll = 0;
            for (int w = 0; w < 2; w++) {
                int[] window = Arrays.copyOfRange(tokens, w * 8, w * 8 + 8);
                window[0] = RandomModels.BOS;
                try (Session s = model.newSession(8)) {
                    for (int j = 0; j < 7; j++) {
                        float[] logits = s.evaluate(new int[] {window[j]});
                        if (j >= 4) nll -= Perplexity.logProbability(logits, window[j + 1]);
                    }
                }
            }
            assertEquals(nll / 6, r.meanNll(), 1e-5);
            assertEquals(Math.exp(nll / 6), r.perplexity(), 1e-4 * r.perplexity());
            assertThrows(IllegalArgumentException.class, () -> Perplexity.compute(model, Arrays.copyOf(tokens, 15), 8, Perplexity.WindowProgress.NONE));
        }
    }

    /** llama-perplexity -m stories260K.gguf -f (first 4000 bytes of janeausten.txt) -c 128 -t 1 printed 55.9431 (llama.cpp 3.21.1). */
    @Test
    void stories260KAgreesWithLlamaPerplexity() throws IOException {
        Path model = SharedFiles.file("models/stories260K.gguf");
        byte[] head = Arrays.copyOf(Files.readAllBytes(SharedFiles.file("corpus/janeausten.txt")), 4000);
        String text = new String(head, StandardCharsets.UTF_8);
        try (Model m = Model.load(model, 2)) {
            int[] tokens = m.tokenizer().encode(text, true, false);
            assertEquals(2237, tokens.length, "llama.cpp tokenized it to 2237 tokens");
            Perplexity.Result r = Perplexity.compute(m, tokens, 128, Perplexity.WindowProgress.NONE);
            assertEquals(17, r.windows());
            assertEquals(17 * 63, r.scored());
            assertTrue(Double.isFinite(r.perplexity()));
            assertEquals(55.9431, r.perplexity(), 0.01);
        }
    }
}
