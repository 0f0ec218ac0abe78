package phd4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.Model;
import phd4j.convert.Progress;
import phd4j.gguf.GgufArray;
import phd4j.gguf.GgufException;
import phd4j.gguf.GgufFile;
import phd4j.gguf.GgufTensorInfo;
import phd4j.gguf.GgufValue;
import phd4j.gguf.GgufWriter;
import phd4j.simd.GgmlType;
import phd4j.synth.Arch;
import phd4j.synth.ModelShape;
import phd4j.synth.SyntheticModel;

/**
 * Per-token arrays of the wrong length and an empty vocabulary are refused at load, in one
 * GgufException line naming the file and the key (issue 17: they were ArrayIndexOutOfBounds in
 * the vocabulary's constructor, or a model that loaded and failed when a token had no piece).
 */
class VocabValidationTest {
    @TempDir Path dir;

    @Test
    void shortScores() {
        assertRefused(m -> m.put("tokenizer.ggml.scores", GgufValue.ofArray(GgufArray.ofFloats(new float[10]))),
                "tokenizer.ggml.scores: 10 entries, expected 260 (one per token)");
    }

    @Test
    void longTokenTypes() {
        assertRefused(m -> m.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufArray.ofInt32s(new int[300]))),
                "tokenizer.ggml.token_type: 300 entries, expected 260 (one per token)");
    }

    @Test
    void noTokens() {
        assertRefused(m -> {
            m.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings()));
            m.remove("tokenizer.ggml.scores");
            m.remove("tokenizer.ggml.token_type");
            m.remove("tokenizer.ggml.merges");
        }, "tokenizer.ggml.tokens: 0 tokens, expected at least 1");
    }

    /** Writes a small synthetic model with its metadata edited and expects Model.load to refuse it with the message. */
    private void assertRefused(Consumer<Map<String, GgufValue>> edit, String message) {
        Path base = dir.resolve("base.gguf"), edited = dir.resolve("edited.gguf");
        SyntheticModel.write(base, new SyntheticModel.Options(Arch.LLAMA, ModelShape.parse("32,2,2,1,64,260"), GgmlType.F32, 1, 32, null, null), Progress.NONE);
        try (GgufFile in = GgufFile.open(base)) {
            Map<String, GgufValue> metadata = new LinkedHashMap<>(in.metadata());
            edit.accept(metadata);
            List<GgufWriter.TensorData> tensors = new ArrayList<>();
            for (GgufTensorInfo t : in.tensors()) tensors.add(new GgufWriter.TensorData(t.name(), t.type(), t.dims(), in.tensorData(t)));
            GgufWriter.write(edited, metadata, tensors);
        }
        GgufException e = assertThrows(GgufException.class, () -> Model.load(edited, 1).close());
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertTrue(e.getMessage().startsWith(edited.toString()), "names the file: " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
    }
}
