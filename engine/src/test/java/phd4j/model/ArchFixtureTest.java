package phd4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import phd4j.Model;
import phd4j.convert.Progress;
import phd4j.simd.GgmlType;
import phd4j.synth.Arch;
import phd4j.model.ModelShape;
import phd4j.synth.SyntheticModel;
import phd4j.testing.Json;
import phd4j.testing.LogitFixture;

/**
 * Each architecture against llama.cpp's logits on a small random-weight model of it. The model
 * is written again here, as {@code phd synth --arch ARCH --dims DIMS --type TYPE --seed 7 --ctx 64}
 * writes it, and its fixture holds what llama.cpp computed on that file: prompt tokens, logits
 * at every prompt position, greedy ids. scripts/llama-logits/arch-fixtures.sh regenerates the
 * fixtures (it builds llama.cpp and llama-logits; its table of dims must match this one):
 * {@code ./phd synth --arch ARCH --dims DIMS --type TYPE --seed 7 --ctx 64 -o FIXTURE.gguf} then
 * {@code llama-logits -m FIXTURE.gguf -n 8 -c 64 "Once upon a time" "Hi, 42!" > fixtures/arch/FIXTURE.jsonl}.
 * The prompts' tokens must be phd4j's too; the logits are compared at every position, with the
 * prompt run as one batch and token by token, and the greedy ids must be the same.
 */
class ArchFixtureTest {
    static final long SEED = 7;
    static final int CONTEXT = 64;

    @TempDir Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            // fixture,  arch,  dims (dim,layers,heads,kvHeads,ffn,vocab[,headDim]), type, max |logit diff|, greedy must match
            "llama3.1,   llama3.1, '64,2,4,2,128,320',   F32,  1e-4, true", // RoPE frequency factors
            "qwen2,      qwen2,  '64,2,4,2,128,320',     F32,  1e-4, true",
            "qwen3,      qwen3,  '64,2,4,2,128,320,32',  F32,  1e-4, true", // heads wider than dim / heads, as Qwen3's
            "phi3,       phi3,   '64,2,4,2,128,320',     F32,  1e-4, true",
            // the fused matrices' row slices in a block type; llama.cpp rounds activations to 8-bit
            // blocks in its dot products (LlamaCppFixtureTest's bound for Q8_0 is 0.25)
            "phi3-Q8_0,  phi3,   '256,2,4,2,512,320',    Q8_0, 0.25, false",
            // llama.cpp's CPU GELU is a table of f16 values read at the f16-rounded input (ggml-cpu
            // vec.h, GGML_GELU_FP16), phd4j computes it in f32: about 1e-3 apart. With that table
            // emulated the two agree to 1e-6 at most positions. 6 layers: gemma3's one global layer is the last.
            "gemma2,     gemma2, '64,2,4,2,128,320,24',  F32,  5e-3, true",
            "gemma3,     gemma3, '32,6,2,1,64,320,32',   F32,  5e-3, true",
    })
    void matchesLlamaCpp(String fixture, String archName, String dims, String type, double tolerance, boolean greedyMustMatch) throws Exception {
        Path file = dir.resolve(fixture + ".gguf");
        SyntheticModel.write(file, new SyntheticModel.Options(Arch.named(archName), ModelShape.parse(dims), GgmlType.valueOf(type), SEED, CONTEXT,
                null, null), Progress.NONE);
        List<Map<String, Object>> cases = Json.lines(Path.of(getClass().getResource("/fixtures/arch/" + fixture + ".jsonl").toURI()));
        assertTrue(!cases.isEmpty(), "no cases for " + archName);
        try (Model model = Model.load(file, 1)) {
            assertEquals(Arch.named(archName).architecture(), model.config().architecture());
            LogitFixture check = new LogitFixture(model, archName, tolerance);
            for (Map<String, Object> c : cases) {
                check.checkBatch(c, greedyMustMatch);
                check.checkDecoding(c); // every earlier key from the cache (a local layer's window too)
            }
            System.out.printf("arch fixture %-9s %s%n", fixture, check.summary());
        }
    }
}
