package phd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import phd4j.testing.Json;
import phd4j.testing.LogitFixture;
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
        try (Model model = Model.load(modelPath, 2)) {
            LogitFixture fixture = new LogitFixture(model, modelFile, tolerance);
            for (Map<String, Object> c : cases) {
                assertEquals(((Number) c.get("n_vocab")).intValue(), model.config().shape().vocab());
                int[] greedy = fixture.checkBatch(c, greedyMustMatch);
                if (greedyMustMatch) {
                    assertEquals(c.get("greedy_text"), model.tokenizer().decode(greedy), "greedy text of '" + c.get("prompt") + "'");
                }
            }
            System.out.printf("fixture %-34s %s%n", modelFile, fixture.summary());
        }
    }
}
