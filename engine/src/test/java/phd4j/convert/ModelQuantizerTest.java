package phd4j.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import phd4j.gguf.GgufFile;
import phd4j.gguf.GgufValue;
import phd4j.gguf.GgufWriter;
import phd4j.simd.GgmlType;
import phd4j.simd.Kernels;
import phd4j.testing.SharedFiles;

class ModelQuantizerTest {
    @TempDir
    Path tmp;

    /**
     * The shared tiny256 files were made by {@code llama-quantize --pure} from tiny256-F32.gguf:
     * ours must be the same files, byte for byte (metadata order, layout and every tensor).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q8_0", "Q4_0", "F16", "BF16"})
    void pureOutputIsLlamaQuantizesFile(String type) throws IOException {
        Path out = tmp.resolve(type + ".gguf");
        long[] last = {-1, -1};
        try (GgufFile in = GgufFile.open(SharedFiles.file("models/tiny256/tiny256-F32.gguf"))) {
            ModelQuantizer.quantize(in, out, GgmlType.valueOf(type), true, (done, total, name) -> {
                assertTrue(done > last[0] && done <= total, done + " of " + total);
                last[0] = done;
                last[1] = total;
            });
        }
        assertEquals(last[1], last[0], "progress reaches the total");
        byte[] ours = Files.readAllBytes(out);
        byte[] theirs = Files.readAllBytes(SharedFiles.file("models/tiny256/tiny256-" + type + ".gguf"));
        assertEquals(theirs.length, ours.length, "file size");
        for (int i = 0; i < ours.length; i++) {
            if (ours[i] != theirs[i]) throw new AssertionError("first difference at byte " + i + " of " + ours.length);
        }
    }

    private Path smallModel(GgmlType matrixType) {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("llama"));
        m.put("general.file_type", GgufValue.ofUInt32(0));
        m.put("general.name", GgufValue.ofString("small"));
        List<GgufWriter.TensorData> t = List.of(
                tensor("token_embd.weight", matrixType, 64, 4),
                tensor("blk.0.attn_norm.weight", GgmlType.F32, 64),
                tensor("blk.0.odd.weight", GgmlType.F32, 48, 2),
                tensor("blk.0.bias", GgmlType.F32, 64, 2),
                tensor("output.weight", matrixType, 64, 4));
        Path p = tmp.resolve("small-" + matrixType + ".gguf");
        GgufWriter.write(p, m, t);
        return p;
    }

    private static GgufWriter.TensorData tensor(String name, GgmlType type, long... dims) {
        long n = 1;
        for (long d : dims) n *= d;
        byte[] b = new byte[(int) type.bytesFor(n)];
        // small finite values in any of the types used here: F32 1.0 repeated, or Q8_0 d = 0 blocks
        if (type == GgmlType.F32) for (int i = 0; i < b.length; i += 4) { b[i + 2] = (byte) 0x80; b[i + 3] = 0x3F; }
        return new GgufWriter.TensorData(name, type, dims, MemorySegment.ofArray(b));
    }

    private static Map<String, ModelQuantizer.Step> plan(GgufFile in, GgmlType type, boolean pure) {
        Map<String, ModelQuantizer.Step> s = new LinkedHashMap<>();
        for (ModelQuantizer.Step step : ModelQuantizer.plan(in, type, pure)) s.put(step.tensor().name(), step);
        return s;
    }

    @Test
    void rulesFollowLlamaQuantize() {
        try (GgufFile in = GgufFile.open(smallModel(GgmlType.F32))) {
            Map<String, ModelQuantizer.Step> s = plan(in, GgmlType.Q4_0, false);
            assertEquals(GgmlType.Q4_0, s.get("token_embd.weight").type());
            assertEquals(GgmlType.F32, s.get("blk.0.attn_norm.weight").type(), "1-D norms stay F32");
            assertEquals(GgmlType.F32, s.get("blk.0.odd.weight").type(), "rows of 48 do not fit blocks of 32");
            assertNotNull(s.get("blk.0.odd.weight").note());
            assertEquals(GgmlType.F32, s.get("blk.0.bias").type(), "only *weight tensors");
            assertEquals(GgmlType.Q8_0, s.get("output.weight").type(), "output matrix one type up");
            Map<String, ModelQuantizer.Step> pure = plan(in, GgmlType.Q4_0, true);
            assertEquals(GgmlType.Q4_0, pure.get("output.weight").type(), "--pure: output too");
            assertNull(pure.get("output.weight").note());
            assertEquals(GgmlType.F16, plan(in, GgmlType.F16, false).get("blk.0.odd.weight").type(), "F16 has no blocks: rows of 48 fit");
            assertEquals(List.of("output.weight", "token_embd.weight", "blk.0.attn_norm.weight", "blk.0.bias", "blk.0.odd.weight"),
                    List.copyOf(s.keySet()), "llama.cpp's loader order");
        }
    }

    /** Every type phd4j can write has llama.cpp's general.file_type number (Q5_0 and Q5_1 once had none: synth and quantize failed). */
    @Test
    void everyWritableTypeHasAFileType() {
        for (GgmlType t : GgmlType.values()) {
            if (Kernels.canQuantizeTo(t)) assertTrue(FileType.of(t) >= 0, t.name());
        }
        assertEquals(8, FileType.of(GgmlType.Q5_0), "LLAMA_FTYPE_MOSTLY_Q5_0");
        assertEquals(9, FileType.of(GgmlType.Q5_1), "LLAMA_FTYPE_MOSTLY_Q5_1");
    }

    @Test
    void loaderOrderSortsBlocksByNumber() {
        List<String> names = new java.util.ArrayList<>(List.of("blk.10.a", "output.weight", "blk.2.b", "blk.2.a", "blk.x", "a"));
        names.sort(ModelQuantizer.LOADER_ORDER);
        assertEquals(List.of("a", "blk.x", "output.weight", "blk.2.a", "blk.2.b", "blk.10.a"), names);
    }

    @Test
    void writesFileTypeAtTheEndAndRefusesRequantizing() {
        Path out = tmp.resolve("out.gguf");
        try (GgufFile in = GgufFile.open(smallModel(GgmlType.F32))) {
            ModelQuantizer.quantize(in, out, GgmlType.Q8_0, false, Progress.NONE);
        }
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(List.of("general.architecture", "general.name", "general.quantization_version", "general.file_type"),
                    List.copyOf(f.metadata().keySet()));
            assertEquals(7, f.getInt("general.file_type"));
            assertEquals(GgmlType.Q8_0, f.tensor("output.weight").type());
            float[] back = new float[256];
            phd4j.simd.Kernels.of(GgmlType.Q8_0).dequantize(f.tensorData(f.tensor("output.weight")), 0, back, 0, 256);
            for (float v : back) assertEquals(1f, v, 1e-3f);
        }
        try (GgufFile in = GgufFile.open(smallModel(GgmlType.Q8_0))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ModelQuantizer.quantize(in, tmp.resolve("re.gguf"), GgmlType.Q4_0, true, Progress.NONE));
            assertTrue(e.getMessage().contains("re-quantizing"), e.getMessage());
            // the same type needs no conversion: copied
            ModelQuantizer.quantize(in, tmp.resolve("same.gguf"), GgmlType.Q8_0, true, Progress.NONE);
        }
        assertThrows(IllegalArgumentException.class, () -> {
            try (GgufFile in = GgufFile.open(smallModel(GgmlType.F32))) {
                ModelQuantizer.plan(in, GgmlType.Q3_K, true);
            }
        });
    }
}
