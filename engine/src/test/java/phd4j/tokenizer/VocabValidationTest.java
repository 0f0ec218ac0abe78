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
import phd4j.model.ModelShape;
import phd4j.synth.SyntheticModel;

/**
 * A vocabulary that cannot encode or decode everything is refused at load, in one GgufException
 * line naming the file, the key (and index) and what was expected (issue 17: these were
 * ArrayIndexOutOfBounds in the vocabulary's constructor, NumberFormatException on a byte token,
 * IllegalStateException at encode time, or a model that loaded and failed when a token had no piece).
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

    @Test
    void fewerTokensThanEmbeddingRows() {
        assertRefused(m -> {
            for (String key : new String[] {"tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"}) {
                m.put(key, GgufValue.ofArray(firstEntries(m.get(key).asArray(), 259)));
            }
        }, "tokenizer.ggml.tokens: 259 tokens, expected 260 (one per row of token_embd.weight and the output)");
    }

    @Test
    void byteTokenNotSpelledAsAByte() {
        assertRefused(m -> setToken(m, 3 + 0x41, "A"), "tokenizer.ggml.tokens[68]: byte token (token_type 6) 'A', expected <0xNN>");
        assertRefused(m -> setToken(m, 3 + 0x41, "<0x+1>"), "tokenizer.ggml.tokens[68]: byte token (token_type 6) '<0x+1>', expected <0xNN>");
        assertRefused(m -> setToken(m, 3, "<0x"), "tokenizer.ggml.tokens[3]: byte token (token_type 6) '<0x', expected <0xNN>");
    }

    /** SentencePiece spells an unknown character as byte tokens; without them encode failed. */
    @Test
    void sentencePieceWithoutByteTokens() {
        assertRefused(m -> {
            setToken(m, 3 + 0xE2, "xE2");
            ((int[]) m.get("tokenizer.ggml.token_type").asArray().values())[3 + 0xE2] = 1;
        }, "tokenizer.ggml.tokens: no byte token <0xE2>, expected all 256");
        assertRefused(m -> {
            String[] tokens = strings(m, "tokenizer.ggml.tokens");
            int[] types = (int[]) m.get("tokenizer.ggml.token_type").asArray().values();
            for (int b = 0; b < 256; b++) {
                tokens[3 + b] = "byte" + b;
                types[3 + b] = 1;
            }
        }, "tokenizer.ggml.tokens: no byte token <0x00>, expected all 256");
    }

    @Test
    void addsBosButItIsOutOfRange() {
        assertRefused(m -> m.put("tokenizer.ggml.bos_token_id", GgufValue.ofUInt32(260)),
                "tokenizer.ggml.bos_token_id: 260, expected a token id below 260 (tokenizer.ggml.add_bos_token asks for it)");
    }

    @Test
    void addsEosButItIsOutOfRange() {
        assertRefused(m -> {
            m.put("tokenizer.ggml.add_eos_token", GgufValue.ofBool(true));
            m.put("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(100000));
        }, "tokenizer.ggml.eos_token_id: 100000, expected a token id below 260");
    }

    /** gemma4 always adds BOS and has no default for it. */
    @Test
    void gemma4WithoutBos() {
        assertRefused(m -> {
            m.put("tokenizer.ggml.model", GgufValue.ofString("gemma4"));
            m.put("tokenizer.ggml.merges", GgufValue.ofArray(GgufArray.ofStrings("a b")));
            m.remove("tokenizer.ggml.bos_token_id");
        }, "tokenizer.ggml.bos_token_id: missing, expected a token id");
    }

    @Test
    void unknownTokenizerModelOrPreTokenizer() {
        assertRefused(m -> m.put("tokenizer.ggml.model", GgufValue.ofString("t5")), "tokenizer.ggml.model: tokenizer model 't5'");
        assertRefused(m -> {
            m.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
            m.put("tokenizer.ggml.pre", GgufValue.ofString("no-such-pre"));
            m.put("tokenizer.ggml.merges", GgufValue.ofArray(GgufArray.ofStrings("a b")));
        }, "tokenizer.ggml.pre: pre-tokenizer 'no-such-pre'");
    }

    private static void setToken(Map<String, GgufValue> m, int id, String text) {
        strings(m, "tokenizer.ggml.tokens")[id] = text;
    }

    private static String[] strings(Map<String, GgufValue> m, String key) {
        return (String[]) m.get(key).asArray().values();
    }

    private static GgufArray firstEntries(GgufArray a, int n) {
        Object copy = java.lang.reflect.Array.newInstance(a.values().getClass().getComponentType(), n);
        System.arraycopy(a.values(), 0, copy, 0, n);
        return new GgufArray(a.elementType(), copy);
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
