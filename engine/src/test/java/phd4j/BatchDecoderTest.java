package phd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import phd4j.convert.ModelQuantizer;
import phd4j.convert.Progress;
import phd4j.gguf.GgufFile;
import phd4j.simd.GgmlType;

/**
 * BatchDecoder on the shipped models (PHD-CSWA-2-16-32, its vanilla baseline) and the baseline in
 * Q8_0 (whose kernels sum differently for one activation row than for several): a request's
 * greedy tokens are the same alone as among seven others that start and finish at other steps,
 * and its logits in a batch match those of a plain Session.evaluate closely.
 */
class BatchDecoderTest {
    static final String[] PROMPTS = {
        "It is a truth universally acknowledged",
        "Once upon a time",
        "The weather at Mansfield was",
        "My dear Miss Bennet, said he, I must",
        "Enter a messenger.",
        "She",
        "Lady Catherine was not pleased with the news that the young people of the neighbourhood had",
        "ROMEO: But soft, what light",
    };
    static final int CHUNK = 8; // prompt tokens per prefill call: the same chunks alone and together

    @TempDir
    static Path tmp;
    static Path q8;

    @BeforeAll
    static void quantize() {
        q8 = tmp.resolve("vanilla-q8_0.gguf");
        try (GgufFile in = GgufFile.open(model("default-vanilla.gguf"))) {
            ModelQuantizer.quantize(in, q8, GgmlType.Q8_0, false, Progress.NONE);
        }
    }

    static Path model(String name) {
        return name.equals("q8") ? q8 : Path.of(System.getProperty("phd4j.root", ".."), "models", name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"default.gguf", "default-vanilla.gguf", "q8"})
    void greedyTokensAreTheSameAloneAndAmongSevenOthers(String name) {
        try (Model m = Model.load(model(name), 2)) {
            int n = PROMPTS.length;
            int[][] alone = new int[n][];
            for (int i = 0; i < n; i++) {
                Generation g = m.newSession(256).start(m.tokenizer().encode(PROMPTS[i], true, false), GenerationParams.greedy(20 + i), TokenListener.NONE);
                drive(m.newBatchDecoder(1), List.of(g), 0);
                alone[i] = g.result().tokens();
                // and the same as the session's own loop (one prompt pass, one pass per token)
                int[] plain = m.newSession(256).generate(PROMPTS[i], GenerationParams.greedy(20 + i), TokenListener.NONE).tokens();
                assertArrayEquals(plain, alone[i], name + " prompt " + i + ": batch of one vs Session.generate");
            }
            List<Generation> all = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                all.add(m.newSession(256).start(m.tokenizer().encode(PROMPTS[i], true, false), GenerationParams.greedy(20 + i), TokenListener.NONE));
            }
            drive(m.newBatchDecoder(n), all, 1);
            for (int i = 0; i < n; i++) assertArrayEquals(alone[i], all.get(i).result().tokens(), name + " prompt " + i + " alone vs among " + n);
            if (m.phd().k() > 1) return; // prompts of a PHD model are evaluated per session
            // prompt chunks in the decode passes: up to CHUNK prompt tokens among the others' next tokens
            List<Generation> mixed = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                mixed.add(m.newSession(256).start(m.tokenizer().encode(PROMPTS[i], true, false), GenerationParams.greedy(20 + i), TokenListener.NONE));
            }
            BatchDecoder decoder = m.newBatchDecoder(n, CHUNK);
            for (int step = 0; mixed.stream().anyMatch(g -> !g.done()); step++) decoder.step(mixed.subList(0, Math.min(n, step + 1)), CHUNK);
            for (int i = 0; i < n; i++) {
                assertArrayEquals(alone[i], mixed.get(i).result().tokens(), name + " prompt " + i + " alone vs among " + n + ", prompts in the passes");
                assertEquals(alone[i].length > 0 ? m.tokenizer().encode(PROMPTS[i], true, false).length : 0,
                        alone[i].length > 0 ? mixed.get(i).result().promptTokens() : 0);
            }
        }
    }

    /**
     * Runs the generations to the end as a server does: per step, one prompt chunk of the first
     * generation with prompt left among those started, then one batched decode step; generation
     * i joins at step i * stagger.
     */
    private static void drive(BatchDecoder decoder, List<Generation> gens, int stagger) {
        for (int step = 0; gens.stream().anyMatch(g -> !g.done()); step++) {
            List<Generation> started = gens.subList(0, Math.min(gens.size(), step * stagger + 1));
            for (Generation g : started) {
                if (!g.done() && g.promptRemaining() > 0) {
                    g.prefill(CHUNK);
                    break;
                }
            }
            decoder.step(started);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"default.gguf", "q8"})
    void logitsInABatchMatchThoseOfAPlainSession(String name) {
        try (Model m = Model.load(model(name), 2)) {
            int n = 4;
            Session[] plain = new Session[n], batched = new Session[n];
            int[] next = new int[n];
            for (int i = 0; i < n; i++) {
                int[] prompt = m.tokenizer().encode(PROMPTS[i], true, false);
                plain[i] = m.newSession(24); // small: the steps below wrap the ring (sinks kept, the oldest overwritten)
                batched[i] = m.newSession(24);
                plain[i].evaluate(prompt);
                batched[i].evaluate(prompt);
                next[i] = prompt[prompt.length - 1];
            }
            BatchDecoder decoder = m.newBatchDecoder(n);
            int vocab = m.config().shape().vocab();
            for (int step = 0; step < 30; step++) {
                long rows = batched[0].rowsProcessed();
                float[] together = decoder.evaluate(batched, next, n);
                assertEquals(rows + m.phd().k(), batched[0].rowsProcessed(), "a step is K rows of each session");
                for (int i = 0; i < n; i++) {
                    float[] alone = plain[i].evaluate(new int[] {next[i]});
                    assertEquals(plain[i].position(), batched[i].position());
                    float max = 0, diff = 0;
                    for (int v = 0; v < vocab; v++) {
                        max = Math.max(max, Math.abs(alone[v]));
                        diff = Math.max(diff, Math.abs(alone[v] - together[i * vocab + v]));
                    }
                    float d = diff, mx = max;
                    assertTrue(diff <= 1e-4f * max, () -> name + ": logits differ by " + d + " of " + mx);
                }
                for (int i = 0; i < n; i++) next[i] = (next[i] * 31 + step + 7) % vocab;
            }
        }
    }
}
