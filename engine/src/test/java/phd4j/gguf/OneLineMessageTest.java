package phd4j.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.Model;

/**
 * Found by the fuzzer (FuzzTest, gguf case 544): a mutant whose key length swallowed the next
 * bytes produced a message quoting kilobytes of binary, line breaks included. Text from the file
 * is now capped where quoted and every GgufException is one line.
 */
class OneLineMessageTest {
    @TempDir Path dir;

    @Test
    void controlCharactersAreEscaped() {
        GgufException e = new GgufException("f.gguf: key 'a\nb\r\u0000c': bad");
        assertEquals("f.gguf: key 'a\\u000ab\\u000d\\u0000c': bad", e.getMessage());
    }

    @Test
    void quotedFileTextIsCapped() {
        String quoted = GgufException.quote("k".repeat(5000));
        assertTrue(quoted.length() < 100 && quoted.endsWith("(5000 chars)"), quoted);
    }

    /** Found by the fuzzer (seed 17, case 2392): block_count 2^31-1 sized per-layer arrays and ended in OutOfMemoryError. */
    @Test
    void aLayerCountBeyondTheTensorsIsRefused() {
        Path base = dir.resolve("base.gguf"), edited = dir.resolve("layers.gguf");
        phd4j.synth.SyntheticModel.write(base, new phd4j.synth.SyntheticModel.Options(phd4j.synth.Arch.LLAMA,
                phd4j.model.ModelShape.parse("4,1,1,1,8,259"), phd4j.simd.GgmlType.F32, 1, 32, null, null), phd4j.convert.Progress.NONE);
        try (GgufFile in = GgufFile.open(base)) {
            Map<String, GgufValue> m = new java.util.LinkedHashMap<>(in.metadata());
            m.put("llama.block_count", GgufValue.ofUInt32(Integer.MAX_VALUE));
            List<GgufWriter.TensorData> tensors = new java.util.ArrayList<>();
            for (GgufTensorInfo t : in.tensors()) tensors.add(new GgufWriter.TensorData(t.name(), t.type(), t.dims(), in.tensorData(t)));
            GgufWriter.write(edited, m, tensors);
        }
        GgufException e = assertThrows(GgufException.class, () -> Model.load(edited, 1).close());
        assertTrue(e.getMessage().contains("llama.block_count: 2147483647 layers, but the file has only"), e.getMessage());
    }

    @Test
    void aValueWithLineBreaksStaysOnOneLine() {
        Path f = dir.resolve("arch.gguf");
        GgufWriter.write(f, Map.of("general.architecture", GgufValue.ofString("lla\nma\n\n" + "x".repeat(300))), List.of());
        GgufException e = assertThrows(GgufException.class, () -> Model.load(f, 1).close());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    }
}
