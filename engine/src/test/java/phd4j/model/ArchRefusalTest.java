package phd4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.convert.Progress;
import phd4j.gguf.GgufException;
import phd4j.gguf.GgufFile;
import phd4j.gguf.GgufTensorInfo;
import phd4j.gguf.GgufValue;
import phd4j.gguf.GgufWriter;
import phd4j.simd.GgmlType;
import phd4j.synth.Arch;
import phd4j.model.ModelShape;
import phd4j.synth.SyntheticModel;

/** What the forward pass does not implement is refused at load time, in one line naming the file and the key or tensor. */
class ArchRefusalTest {
    @TempDir Path dir;

    @Test
    void refusesWhatItCannotCompute() {
        assertRefused(Arch.LLAMA, m -> m.put("general.architecture", GgufValue.ofString("stablelm")), null, null,
                "general.architecture: unsupported architecture 'stablelm'");
        assertRefused(Arch.PHI3, m -> {}, null, "rope_factors_long.weight", "tensor 'rope_factors_long.weight'");
        assertRefused(Arch.QWEN3, m -> {}, "blk.1.attn_k_norm.weight", null, "tensor 'blk.1.attn_k_norm.weight'");
        assertRefused(Arch.LLAMA, m -> {}, null, "blk.0.ffn_down.bias", "tensor 'blk.0.ffn_down.bias': not supported");
        assertRefused(Arch.PHI3, m -> {}, "blk.0.attn_qkv.weight", null, "tensor 'blk.0.attn_q.weight'");
        assertRefused(Arch.GEMMA2, m -> {}, "blk.0.post_ffw_norm.weight", null, "tensor 'blk.0.post_ffw_norm.weight'");
        assertRefused(Arch.QWEN2, m -> m.put("qwen2.rope.scaling.type", GgufValue.ofString("yarn")), null, null,
                "qwen2.rope.scaling.type: 'yarn' is not supported");
        assertRefused(Arch.QWEN2, m -> m.put("qwen2.attention.sliding_window", GgufValue.ofUInt32(64)), null, null,
                "qwen2.attention.sliding_window: sliding-window attention is not supported");
    }

    /** Writes a synthetic model of arch, edited (metadata, one tensor dropped, one F32 [8] tensor added), and expects load to fail with the message. */
    private void assertRefused(Arch arch, Consumer<Map<String, GgufValue>> editMetadata, String drop, String add, String message) {
        Path base = dir.resolve(arch.key() + ".gguf"), edited = dir.resolve(arch.key() + "-edited.gguf");
        SyntheticModel.write(base, new SyntheticModel.Options(arch, ModelShape.parse("32,2,2,1,64,260"), GgmlType.F32, 1, 32, null, null), Progress.NONE);
        try (GgufFile in = GgufFile.open(base); Arena arena = Arena.ofConfined()) {
            Map<String, GgufValue> metadata = new LinkedHashMap<>(in.metadata());
            editMetadata.accept(metadata);
            List<GgufWriter.TensorData> tensors = new ArrayList<>();
            for (GgufTensorInfo t : in.tensors()) {
                if (!t.name().equals(drop)) tensors.add(new GgufWriter.TensorData(t.name(), t.type(), t.dims(), in.tensorData(t)));
            }
            if (add != null) tensors.add(new GgufWriter.TensorData(add, GgmlType.F32, new long[] {8}, arena.allocate(32)));
            GgufWriter.write(edited, metadata, tensors);
        }
        try (GgufFile f = GgufFile.open(edited)) {
            GgufException e = assertThrows(GgufException.class, () -> LlamaWeights.from(f, LlamaConfig.from(f, LlamaWeights.vocabSize(f))));
            assertTrue(e.getMessage().contains(message), e.getMessage());
            assertTrue(e.getMessage().startsWith(edited.toString()), "names the file: " + e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), "one line");
        }
    }
}
