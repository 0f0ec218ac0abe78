package phd4j.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import phd4j.GenerationParams;
import phd4j.GenerationResult;
import phd4j.Model;
import phd4j.Session;
import phd4j.convert.Progress;
import phd4j.gguf.GgufFile;
import phd4j.model.ModelShape;
import phd4j.phd.PhdConfig;
import phd4j.simd.GgmlType;
import phd4j.simd.Kernels;

class SyntheticModelTest {
    @TempDir
    Path tmp;

    private Path synth(String name, GgmlType type, long seed, GgufFile vocab, PhdConfig phd) {
        Path out = tmp.resolve(name);
        SyntheticModel.write(out, new SyntheticModel.Options(SyntheticModel.namedShape("tiny"), type, seed, 256, vocab, phd), Progress.NONE);
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"F32", "F16", "Q8_0", "Q4_0"})
    void loadsAndGenerates(String type) {
        Path p = synth(type + ".gguf", GgmlType.valueOf(type), 1, null, null);
        try (Model m = Model.load(p, 1); Session s = m.newSession(64)) {
            assertEquals(SyntheticModel.namedShape("tiny"), m.config().shape(), "the shape written is the shape read");
            assertEquals(256, m.config().trainedContext());
            GenerationResult r = s.generate("hi there", GenerationParams.greedy(4).withIgnoreEos(true), (t, piece) -> true);
            assertEquals(4, r.tokens().length);
            float[] logits = s.evaluate(new int[] {r.tokens()[3]});
            for (float v : logits) assertTrue(Float.isFinite(v));
            // random weights give spread logits, not a constant vector
            java.util.Set<Float> distinct = new java.util.HashSet<>();
            for (float v : logits) distinct.add(v);
            assertTrue(distinct.size() > 100, distinct.size() + " distinct logits");
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherWeights() throws IOException {
        byte[] a = Files.readAllBytes(synth("a.gguf", GgmlType.Q8_0, 7, null, null));
        byte[] b = Files.readAllBytes(synth("b.gguf", GgmlType.Q8_0, 7, null, null));
        assertArrayEquals(a, b);
        byte[] c = Files.readAllBytes(synth("c.gguf", GgmlType.Q8_0, 8, null, null));
        assertEquals(a.length, c.length, "same layout");
        assertFalse(Arrays.equals(a, c));
    }

    @Test
    void weightsHaveTheIntendedScaleAndNormsAreOne() {
        try (GgufFile f = GgufFile.open(synth("w.gguf", GgmlType.F32, 3, null, null))) {
            float[] w = new float[128 * 64];
            Kernels.of(GgmlType.F32).dequantize(f.tensorData(f.tensor("blk.1.ffn_up.weight")), 0, w, 0, w.length);
            double sum = 0, sq = 0;
            for (float v : w) {
                sum += v;
                sq += v * v;
            }
            assertEquals(0, sum / w.length, 0.002);
            assertEquals(SyntheticModel.STD, Math.sqrt(sq / w.length), 0.001);
            float[] norm = new float[64];
            Kernels.of(GgmlType.F32).dequantize(f.tensorData(f.tensor("output_norm.weight")), 0, norm, 0, 64);
            for (float v : norm) assertEquals(1f, v);
            // two tensors of one shape differ (each has its own seed)
            float[] gate = new float[w.length];
            Kernels.of(GgmlType.F32).dequantize(f.tensorData(f.tensor("blk.1.ffn_gate.weight")), 0, gate, 0, gate.length);
            assertFalse(Arrays.equals(w, gate));
            assertEquals(GgmlType.F32, f.tensor("blk.0.attn_norm.weight").type());
            assertEquals(0, f.getInt("general.file_type"));
        }
    }

    @Test
    void copiesTheVocabularyAndWritesPhdKeys() {
        Path vocabModel = synth("v.gguf", GgmlType.F32, 1, null, null);
        Path out;
        try (GgufFile v = GgufFile.open(vocabModel)) {
            out = synth("p.gguf", GgmlType.Q4_0, 2, v, new PhdConfig(3, PhdConfig.Variant.CSWA, 16, 32));
        }
        try (GgufFile f = GgufFile.open(out); GgufFile v = GgufFile.open(vocabModel)) {
            assertArrayEquals(v.getStringArray("tokenizer.ggml.tokens"), f.getStringArray("tokenizer.ggml.tokens"));
            assertEquals(3, f.getInt("phd.repeat"));
            assertEquals("phd-cswa", f.getString("phd.variant"));
            assertEquals(16, f.getInt("phd.window"));
            assertEquals(32, f.getInt("phd.chunk"));
            assertEquals(2, f.getInt("general.file_type"));
        }
        try (GgufFile f = GgufFile.open(vocabModel)) {
            assertNull(f.find("phd.repeat").orElse(null));
        }
    }

    @Test
    void refusesBadShapesAndOptions() {
        assertThrows(IllegalArgumentException.class, () -> ModelShape.parse("64,2,4,3,128,320"), "kv heads must divide heads");
        assertThrows(IllegalArgumentException.class, () -> ModelShape.parse("64,2,4"), "six numbers");
        assertThrows(IllegalArgumentException.class, () -> new SyntheticModel.Options(ModelShape.parse("48,1,4,4,96,300"),
                GgmlType.Q8_0, 1, 16, null, null), "rows of 48 do not fit Q8_0 blocks");
        assertThrows(IllegalArgumentException.class, () -> SyntheticModel.write(tmp.resolve("x.gguf"),
                new SyntheticModel.Options(ModelShape.parse("64,1,4,4,128,100"), GgmlType.F32, 1, 16, null, null), Progress.NONE),
                "vocab too small for the byte tokens");
        assertEquals(new ModelShape(2048, 22, 32, 4, 5632, 32000), SyntheticModel.namedShape("1.1B"));
        assertNull(SyntheticModel.namedShape("7b"));
        for (String dims : new String[] {"64,2,4,2,128,320", "64,2,4,2,128,320,32"}) assertEquals(dims, ModelShape.parse(dims).dims(), "dims() reads back");
        assertEquals(16, ModelShape.parse("64,2,4,2,128,320").headDim());
        assertEquals(128, ModelShape.parse("64,2,4,2,128,320,32").qDim(), "a 7th number is the head size");
        assertThrows(IllegalArgumentException.class, () -> ModelShape.parse("64,2,4,2,128,320,15"), "odd head size");
    }
}
