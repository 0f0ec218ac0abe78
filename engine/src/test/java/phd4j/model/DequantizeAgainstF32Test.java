package phd4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import phd4j.gguf.GgufFile;
import phd4j.gguf.GgufTensorInfo;
import phd4j.simd.GgmlType;
import phd4j.simd.Kernels;
import phd4j.testing.SharedFiles;

/**
 * Block layouts proved without llama.cpp's code: llama.cpp quantized the same random weights
 * into every tiny256 file, so each quantized tensor, dequantized by our kernels, must be close
 * to the F32 original. A wrong bit order or field offset gives errors as large as the weights.
 */
class DequantizeAgainstF32Test {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"F16, 0.001", "BF16, 0.005", "Q8_0, 0.01", "Q6_K, 0.02", "Q5_0, 0.05", "Q5_1, 0.05", "Q5_K, 0.05",
            "Q4_0, 0.1", "Q4_1, 0.1", "Q4_K, 0.1"})
    void quantizedTensorsApproximateTheF32Ones(String type, double maxRelativeRmse) {
        try (GgufFile f32 = GgufFile.open(SharedFiles.file("models/tiny256/tiny256-F32.gguf"));
             GgufFile q = GgufFile.open(SharedFiles.file("models/tiny256/tiny256-" + type + ".gguf"))) {
            int quantized = 0;
            for (GgufTensorInfo t : q.tensors()) {
                GgufTensorInfo ref = f32.tensor(t.name());
                assertEquals(ref.elementCount(), t.elementCount(), t.name());
                float[] expect = dequantize(f32, ref);
                float[] got = dequantize(q, t);
                double err = 0, norm = 0;
                for (int i = 0; i < got.length; i++) {
                    err += (got[i] - (double) expect[i]) * (got[i] - expect[i]);
                    norm += (double) expect[i] * expect[i];
                }
                double rel = Math.sqrt(err / norm);
                assertTrue(rel <= (t.type() == GgmlType.F32 ? 0 : maxRelativeRmse),
                        type + " " + t.name() + " (" + t.type() + "): relative RMSE " + rel);
                if (t.type() == GgmlType.valueOf(type)) quantized++;
            }
            assertTrue(quantized >= 7, "expected the layer matrices in " + type + ", found " + quantized);
        }
    }

    private static float[] dequantize(GgufFile f, GgufTensorInfo t) {
        float[] out = new float[Math.toIntExact(t.elementCount())];
        Kernels.of(t.type()).dequantize(f.tensorData(t), 0, out, 0, out.length);
        return out;
    }
}
