package phd4j.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
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
import phd4j.simd.GgmlType;
import phd4j.simd.Kernels;

/** phd synth in the K-quant types: a small shape whose rows fit the 256-element super-blocks. */
class SyntheticKQuantTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q4_K:15", "Q5_K:17", "Q6_K:18"})
    void loadsAndGenerates(String spec) {
        GgmlType type = GgmlType.valueOf(spec.split(":")[0]);
        Path p = tmp.resolve(type + ".gguf");
        SyntheticModel.write(p, new SyntheticModel.Options(ModelShape.parse("256,1,4,2,512,320"), type, 1, 64, null, null),
                Progress.NONE);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(Integer.parseInt(spec.split(":")[1]), f.getInt("general.file_type"));
            assertEquals(type, f.tensor("output.weight").type(), "synth writes every matrix in the type");
            assertEquals(GgmlType.F32, f.tensor("blk.0.ffn_norm.weight").type());
            float[] w = new float[512 * 256];
            Kernels.of(type).dequantize(f.tensorData(f.tensor("blk.0.ffn_up.weight")), 0, w, 0, w.length);
            double sq = 0;
            for (float v : w) sq += v * v;
            assertEquals(SyntheticModel.STD, Math.sqrt(sq / w.length), 0.002, "the weights' scale survives quantization");
        }
        try (Model m = Model.load(p, 1); Session s = m.newSession(32)) {
            GenerationResult r = s.generate("hi", GenerationParams.greedy(3).withIgnoreEos(true), (t, piece) -> true);
            assertEquals(3, r.tokens().length);
            for (float v : s.evaluate(new int[] {r.tokens()[2]})) assertTrue(Float.isFinite(v));
        }
    }
}
