package phd4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import phd4j.gguf.GgufFile;
import phd4j.gguf.GgufTensorInfo;
import phd4j.gguf.GgufValue;
import phd4j.gguf.GgufWriter;
import phd4j.simd.GgmlType;
import phd4j.simd.Kernels;
import phd4j.testing.SharedFiles;

/** phd quantize to Q4_K / Q5_K / Q6_K: accuracy against llama-quantize's own files, and the type rules. */
class KQuantAccuracyTest {
    @TempDir
    Path tmp;

    private static float[] floats(GgufFile f, GgufTensorInfo t) {
        float[] x = new float[Math.toIntExact(t.elementCount())];
        Kernels.of(t.type()).dequantize(f.tensorData(t), 0, x, 0, x.length);
        return x;
    }

    private static double rmse(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) (a[i] - b[i]) * (a[i] - b[i]);
        return Math.sqrt(s / a.length);
    }

    /**
     * The shared tiny256-TYPE.gguf files are llama-quantize --pure's output for tiny256-F32.gguf.
     * Ours has the same tensors, types and file type, and every quantized tensor is at least as
     * close to the F32 weights (RMSE) as llama.cpp's, per tensor.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q4_K", "Q5_K", "Q6_K"})
    void atLeastAsAccurateAsLlamaQuantize(String name) {
        GgmlType type = GgmlType.valueOf(name);
        Path ours = tmp.resolve(name + ".gguf");
        try (GgufFile in = GgufFile.open(SharedFiles.file("models/tiny256/tiny256-F32.gguf"))) {
            ModelQuantizer.quantize(in, ours, type, true, Progress.NONE);
        }
        List<String> failures = new ArrayList<>();
        double oursTotal = 0, theirsTotal = 0;
        long n = 0;
        StringBuilder table = new StringBuilder("| tensor | phd4j RMSE | llama.cpp RMSE | ratio |\n|---|---|---|---|\n");
        try (GgufFile f32 = GgufFile.open(SharedFiles.file("models/tiny256/tiny256-F32.gguf"));
             GgufFile o = GgufFile.open(ours);
             GgufFile l = GgufFile.open(SharedFiles.file("models/tiny256/tiny256-" + name + ".gguf"))) {
            assertEquals(l.getInt("general.file_type"), o.getInt("general.file_type"));
            assertEquals(List.copyOf(l.metadata().keySet()), List.copyOf(o.metadata().keySet()), "metadata keys and order");
            assertEquals(l.tensors().size(), o.tensors().size());
            for (int i = 0; i < l.tensors().size(); i++) {
                GgufTensorInfo lt = l.tensors().get(i), ot = o.tensors().get(i);
                assertEquals(lt.name(), ot.name(), "tensor order");
                assertEquals(lt.type(), ot.type(), lt.name());
                assertArrayEquals(lt.dims(), ot.dims(), lt.name());
                if (lt.type() != type) continue;
                float[] ref = floats(f32, f32.tensor(lt.name()));
                float[] a = floats(o, ot), b = floats(l, lt);
                double ra = rmse(ref, a), rb = rmse(ref, b);
                table.append(String.format("| %s | %.6g | %.6g | %.4f |%n", lt.name(), ra, rb, ra / rb));
                if (ra > rb * (1 + 1e-6)) failures.add(lt.name() + ": " + ra + " > llama.cpp's " + rb);
                oursTotal += ra * ra * ref.length;
                theirsTotal += rb * rb * ref.length;
                n += ref.length;
            }
        }
        table.append(String.format("| all | %.6g | %.6g | %.4f |%n", Math.sqrt(oursTotal / n), Math.sqrt(theirsTotal / n),
                Math.sqrt(oursTotal / theirsTotal)));
        System.out.println(name + ":\n" + table);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    private Path model(int cols, boolean tied) {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("llama"));
        m.put("general.file_type", GgufValue.ofUInt32(0));
        List<GgufWriter.TensorData> t = new ArrayList<>(List.of(
                tensor("token_embd.weight", cols, 4),
                tensor("blk.0.attn_norm.weight", cols),
                tensor("blk.0.ffn_up.weight", cols, 2),
                tensor("blk.0.odd.weight", 288, 2)));
        if (!tied) t.add(tensor("output.weight", cols, 4));
        Path p = tmp.resolve("m-" + cols + "-" + tied + ".gguf");
        GgufWriter.write(p, m, t);
        return p;
    }

    private static GgufWriter.TensorData tensor(String name, long... dims) {
        long n = 1;
        for (long d : dims) n *= d;
        float[] x = new float[(int) n];
        SplittableRandom r = new SplittableRandom(n);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        return new GgufWriter.TensorData(name, GgmlType.F32, dims, MemorySegment.ofArray(x));
    }

    private static Map<String, ModelQuantizer.Step> plan(Path p, GgmlType type, boolean pure) {
        Map<String, ModelQuantizer.Step> s = new LinkedHashMap<>();
        try (GgufFile in = GgufFile.open(p)) {
            for (ModelQuantizer.Step step : ModelQuantizer.plan(in, type, pure)) s.put(step.tensor().name(), step);
        }
        return s;
    }

    @Test
    void outputMatrixIsQ6KUnlessPureAsLlamaCpp() {
        Path m = model(256, false);
        for (GgmlType target : List.of(GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q4_0)) {
            Map<String, ModelQuantizer.Step> s = plan(m, target, false);
            assertEquals(GgmlType.Q6_K, s.get("output.weight").type(), target + ": output");
            assertNotNull(s.get("output.weight").note());
            assertEquals(target, s.get("token_embd.weight").type(), target + ": embedding (not tied)");
            assertEquals(target, s.get("blk.0.ffn_up.weight").type());
            assertEquals(GgmlType.F32, s.get("blk.0.attn_norm.weight").type());
            assertEquals(target, plan(m, target, true).get("output.weight").type(), "--pure");
        }
        Map<String, ModelQuantizer.Step> s = plan(m, GgmlType.Q6_K, false);
        assertEquals(GgmlType.Q6_K, s.get("output.weight").type());
        assertNull(s.get("output.weight").note(), "nothing to explain: it is the requested type");
        assertEquals(GgmlType.Q8_0, plan(m, GgmlType.Q8_0, false).get("output.weight").type(), "Q8_0 files keep Q8_0");
        // rows of 288 fit Q4_0's blocks but not the K-quants' super-blocks: kept, with a note
        ModelQuantizer.Step odd = plan(m, GgmlType.Q4_K, false).get("blk.0.odd.weight");
        assertEquals(GgmlType.F32, odd.type());
        assertTrue(odd.note().contains("256"), odd.note());
        assertEquals(GgmlType.Q4_0, plan(m, GgmlType.Q4_0, false).get("blk.0.odd.weight").type());
        // tied embeddings: the embedding is the output matrix
        assertEquals(GgmlType.Q6_K, plan(model(256, true), GgmlType.Q4_K, false).get("token_embd.weight").type());
        // an output matrix of 288 columns: Q8_0 for a Q4_0 file, as llama.cpp's fallback gives
        Path narrow = model(288, false);
        assertEquals(GgmlType.Q8_0, plan(narrow, GgmlType.Q4_0, false).get("output.weight").type());
    }

    @Test
    void writesAMixedFileThatDecodesClose() {
        Path m = model(256, false), out = tmp.resolve("q4k.gguf");
        try (GgufFile in = GgufFile.open(m)) {
            ModelQuantizer.quantize(in, out, GgmlType.Q4_K, false, Progress.NONE);
        }
        try (GgufFile in = GgufFile.open(m); GgufFile f = GgufFile.open(out)) {
            assertEquals(15, f.getInt("general.file_type"), "LLAMA_FTYPE_MOSTLY_Q4_K_M, as llama-quantize names Q4_K");
            for (String name : List.of("output.weight", "blk.0.ffn_up.weight")) {
                float[] ref = floats(in, in.tensor(name)), back = floats(f, f.tensor(name));
                double bound = f.tensor(name).type() == GgmlType.Q6_K ? 0.02 : 0.08;
                assertTrue(rmse(ref, back) < bound, name + " " + f.tensor(name).type() + ": " + rmse(ref, back));
            }
        }
    }
}
