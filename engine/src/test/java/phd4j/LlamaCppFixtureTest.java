package phd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import phd4j.testing.Json;
import phd4j.testing.SharedFiles;

/**
 * The engine against llama.cpp's own outputs (shared/fixtures): prompt tokens, logits at every
 * prompt position and greedy continuations. llama.cpp rounds the activations to the weights'
 * "dot type" inside its dot products (f16 for F16 weights, bf16 for BF16, 8-bit blocks for the
 * quantized types) while phd4j multiplies exact dequantized weights with f32 activations: hence
 * the bounds per type. The issue fixes 0.25 for tiny256; stories260K's quantized files (not
 * bounded by the issue) reach 0.29 with that rounding difference, so they get 0.35.
 */
class LlamaCppFixtureTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            // model file,                        fixture,                             max |logit diff|, greedy must match
            "models/stories260K.gguf,             fixtures/stories260K/stories260K.jsonl,       1e-4, true",
            "models/stories260K-F16.gguf,         fixtures/stories260K/stories260K-F16.jsonl,   2e-2, true",
            "models/stories260K-Q8_0.gguf,        fixtures/stories260K/stories260K-Q8_0.jsonl,  0.35, false",
            "models/stories260K-Q4_0.gguf,        fixtures/stories260K/stories260K-Q4_0.jsonl,  0.35, false",
            "models/tiny256/tiny256-F32.gguf,     fixtures/tiny256/tiny256-F32.jsonl,           1e-4, true",
            "models/tiny256/tiny256-F16.gguf,     fixtures/tiny256/tiny256-F16.jsonl,           2e-2, true",
            "models/tiny256/tiny256-BF16.gguf,    fixtures/tiny256/tiny256-BF16.jsonl,          5e-2, true",
            "models/tiny256/tiny256-Q8_0.gguf,    fixtures/tiny256/tiny256-Q8_0.jsonl,          0.25, false",
            "models/tiny256/tiny256-Q4_0.gguf,    fixtures/tiny256/tiny256-Q4_0.jsonl,          0.25, false",
            "models/tiny256/tiny256-Q4_1.gguf,    fixtures/tiny256/tiny256-Q4_1.jsonl,          0.25, false",
            "models/tiny256/tiny256-Q5_0.gguf,    fixtures/tiny256/tiny256-Q5_0.jsonl,          0.25, false",
            "models/tiny256/tiny256-Q5_1.gguf,    fixtures/tiny256/tiny256-Q5_1.jsonl,          0.25, false",
            "models/tiny256/tiny256-Q4_K.gguf,    fixtures/tiny256/tiny256-Q4_K.jsonl,          0.25, false",
            "models/tiny256/tiny256-Q5_K.gguf,    fixtures/tiny256/tiny256-Q5_K.jsonl,          0.25, false",
            "models/tiny256/tiny256-Q6_K.gguf,    fixtures/tiny256/tiny256-Q6_K.jsonl,          0.25, false",
    })
    void matchesLlamaCpp(String modelFile, String fixtureFile, double tolerance, boolean greedyMustMatch) throws Exception {
        Path modelPath = SharedFiles.file(modelFile);
        List<Map<String, Object>> cases = Json.lines(SharedFiles.file(fixtureFile));
        assertTrue(!cases.isEmpty(), "no cases in " + fixtureFile);
        double worst = 0;
        int greedyAgree = 0, greedyTotal = 0;
        try (Model model = Model.load(modelPath, 2)) {
            for (Map<String, Object> c : cases) {
                String prompt = (String) c.get("prompt");
                int[] expectTokens = Json.ints(c.get("tokens"));
                int[] tokens = model.tokenizer().encode(prompt, true, false);
                assertArrayEquals(expectTokens, tokens, "prompt tokens of '" + prompt + "'");
                assertEquals(((Number) c.get("n_vocab")).intValue(), model.config().vocabSize());

                int[] expectGreedy = Json.ints(c.get("greedy"));
                List<?> expectLogits = (List<?>) c.get("logits");
                try (Session s = model.newSession(tokens.length + expectGreedy.length)) {
                    float[][] logits = s.evaluateAll(tokens);
                    assertEquals(expectLogits.size(), logits.length, "positions");
                    for (int p = 0; p < logits.length; p++) {
                        float[] expect = Json.floats(expectLogits.get(p));
                        double diff = maxAbsDiff(expect, logits[p]);
                        worst = Math.max(worst, diff);
                        assertTrue(diff <= tolerance, modelFile + " '" + prompt + "' position " + p + ": max |diff| " + diff + " > " + tolerance);
                    }
                    int[] greedy = greedy(s, logits[logits.length - 1], expectGreedy.length);
                    for (int i = 0; i < greedy.length && greedy[i] == expectGreedy[i]; i++) greedyAgree++;
                    greedyTotal += greedy.length;
                    if (greedyMustMatch) {
                        assertArrayEquals(expectGreedy, greedy, "greedy continuation of '" + prompt + "'");
                        assertEquals(c.get("greedy_text"), model.tokenizer().decode(greedy), "greedy text of '" + prompt + "'");
                    }
                }
            }
        }
        System.out.printf("fixture %-34s max |logit diff| %.3g, greedy prefix agreement %d/%d%n", modelFile, worst, greedyAgree, greedyTotal);
    }

    static int[] greedy(Session s, float[] first, int n) {
        int[] out = new int[n];
        float[] next = first;
        for (int i = 0; i < n; i++) {
            out[i] = argmax(next);
            if (i + 1 < n) next = s.evaluate(new int[] {out[i]});
        }
        return out;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length, "vocabulary size");
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }
}
