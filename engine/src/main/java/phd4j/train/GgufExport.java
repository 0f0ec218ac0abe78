package phd4j.train;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import phd4j.gguf.GgufFile;
import phd4j.gguf.GgufValue;
import phd4j.gguf.GgufWriter;
import phd4j.model.ModelShape;
import phd4j.simd.GgmlType;

/**
 * Writes trained weights as an F32 llama-architecture GGUF (llama.cpp's tensor names, dims
 * {in, out}) with the {@code phd.*} keys of DESIGN.md section 3 (omitted for K=1, so a vanilla
 * model is a plain llama file) and the tokenizer: every {@code tokenizer.*} key of a given
 * vocabulary GGUF, copied unchanged. The file appears atomically (GgufWriter writes a temporary
 * file and renames it).
 */
public final class GgufExport {
    private GgufExport() {}

    /**
     * @param vocabSource a GGUF whose {@code tokenizer.*} keys are copied; null writes no tokenizer
     *                    (enough for tests that only read the weights, not for {@code Model.load})
     */
    public static void write(Path out, ModelSpec spec, float[] params, GgufFile vocabSource, String name) {
        ModelShape s = spec.shape();
        ParamLayout layout = ParamLayout.of(spec);
        if (params.length != layout.size()) throw new IllegalArgumentException("params hold " + params.length + " floats, the layout " + layout.size());
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        meta.put("general.architecture", GgufValue.ofString("llama"));
        meta.put("general.name", GgufValue.ofString(name));
        meta.put("llama.context_length", GgufValue.ofUInt32(spec.seqLen()));
        meta.put("llama.embedding_length", GgufValue.ofUInt32(s.dim()));
        meta.put("llama.block_count", GgufValue.ofUInt32(s.layers()));
        meta.put("llama.feed_forward_length", GgufValue.ofUInt32(s.ffn()));
        meta.put("llama.attention.head_count", GgufValue.ofUInt32(s.heads()));
        meta.put("llama.attention.head_count_kv", GgufValue.ofUInt32(s.kvHeads()));
        meta.put("llama.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(spec.rmsEps()));
        meta.put("llama.rope.freq_base", GgufValue.ofFloat32(spec.ropeBase()));
        meta.put("llama.rope.dimension_count", GgufValue.ofUInt32(s.headDim()));
        meta.put("llama.vocab_size", GgufValue.ofUInt32(s.vocab()));
        if (spec.k() > 1) {
            meta.put("phd.repeat", GgufValue.ofUInt32(spec.k()));
            meta.put("phd.variant", GgufValue.ofString(spec.phd().variant().key));
            if (spec.phd().window() > 0) meta.put("phd.window", GgufValue.ofUInt32(spec.phd().window()));
            if (spec.phd().chunk() > 0) meta.put("phd.chunk", GgufValue.ofUInt32(spec.phd().chunk()));
        }
        if (vocabSource != null) {
            for (var e : vocabSource.metadata().entrySet()) {
                if (e.getKey().startsWith("tokenizer.")) meta.put(e.getKey(), e.getValue());
            }
        }
        MemorySegment all = MemorySegment.ofArray(params);
        List<GgufWriter.TensorData> tensors = new ArrayList<>();
        for (ParamLayout.Tensor t : layout.tensors()) {
            tensors.add(new GgufWriter.TensorData(t.name(), GgmlType.F32, t.ggufDims(),
                    all.asSlice(4L * t.offset(), 4L * t.size())));
        }
        GgufWriter.write(out, meta, tensors);
    }
}
