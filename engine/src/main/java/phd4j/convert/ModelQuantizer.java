package phd4j.convert;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import phd4j.gguf.GgufFile;
import phd4j.gguf.GgufTensorInfo;
import phd4j.gguf.GgufValue;
import phd4j.gguf.GgufWriter;
import phd4j.simd.GgmlType;
import phd4j.simd.Kernels;

/**
 * Converts the weight matrices of a GGUF model to another type, as {@code llama-quantize} does,
 * so that with {@code pure} the output is byte for byte llama-quantize's {@code --pure} output
 * for F32, F16, BF16, Q8_0 and Q4_0 (same metadata order, same tensor bytes). For Q4_K, Q5_K and
 * Q6_K the layout and metadata are the same, but the tensor bytes differ: phd4j's K-quant search
 * starts from llama.cpp's and improves on it (see phd4j.simd.KQuantizer), so every tensor comes
 * out at least as accurate (RMSE), not identical.
 *
 * <p>Which tensors change (llama.cpp's rules, restricted to Llama-layout models): tensors of two
 * or more dims whose name ends in {@code weight}, norms ({@code *_norm.weight}) excepted; 1-D
 * tensors are copied unchanged. Without {@code pure}, the output matrix (or the embedding when it
 * doubles as the output) of a Q4_0, Q4_K, Q5_K or Q6_K file is Q6_K, or Q8_0 when its rows are
 * not a multiple of 256, as llama.cpp does. That is the only mixing: llama.cpp's Q4_K_M and
 * Q5_K_M also give attn_v and ffn_down of some layers Q6_K (and Q4_K_M some Q5_K), phd4j's plain
 * K-quant names do not. A matrix whose rows are not a multiple of the target's block size keeps
 * its type (llama.cpp would fall back to a 32-block type or F16). Tensors are written in
 * llama.cpp's loader order ({@link #LOADER_ORDER}), not the input's. Only F32, F16 and BF16
 * tensors are converted: re-quantizing loses accuracy twice, and llama.cpp refuses it by default too.
 */
public final class ModelQuantizer {
    /** llama.cpp's GGML_QNT_VERSION, written to general.quantization_version. */
    static final int QUANTIZATION_VERSION = 2;
    private static final int CHUNK_FLOATS = 1 << 18;

    private ModelQuantizer() {}

    /** Targets whose output matrix llama.cpp makes Q6_K unless --pure. */
    private static final java.util.Set<GgmlType> OUTPUT_Q6_K = java.util.EnumSet.of(GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);

    /** What happens to one tensor: its new type, and why when that is not the requested one. */
    public record Step(GgufTensorInfo tensor, GgmlType type, String note) {
        public boolean converts() {
            return type != tensor.type();
        }
    }

    /** The type each tensor of {@code in} gets; throws IllegalArgumentException for what cannot be converted. */
    public static List<Step> plan(GgufFile in, GgmlType target, boolean pure) {
        if (!Kernels.canQuantizeTo(target)) {
            throw new IllegalArgumentException("cannot quantize to " + target + " (supported: " + Kernels.SUPPORTED + ")");
        }
        boolean tied = in.findTensor("output.weight").isEmpty();
        List<Step> steps = new ArrayList<>();
        for (GgufTensorInfo t : in.tensors()) {
            if (!isWeightMatrix(t)) {
                steps.add(new Step(t, t.type(), null));
                continue;
            }
            GgmlType type = target;
            String note = null;
            boolean output = t.name().equals("output.weight") || tied && t.name().equals("token_embd.weight");
            if (!pure && output && OUTPUT_Q6_K.contains(target)) {
                // llama.cpp: Q6_K, falling back to Q8_0 when the rows do not fit its super-blocks
                type = t.dims()[0] % GgmlType.Q6_K.blockSize == 0 ? GgmlType.Q6_K : GgmlType.Q8_0;
                if (type != target) note = "output matrix: " + type + ", as llama.cpp";
            }
            if (t.dims()[0] % type.blockSize != 0) {
                note = "rows of " + t.dims()[0] + " are not a multiple of the " + type + " block size " + type.blockSize
                        + ": kept " + t.type();
                type = t.type();
            }
            if (type != t.type() && !isFloat(t.type())) {
                throw new IllegalArgumentException("tensor '" + t.name() + "' is " + t.type()
                        + ": only F32, F16 and BF16 tensors can be converted (re-quantizing is not supported)");
            }
            steps.add(new Step(t, type, note));
        }
        steps.sort((a, b) -> LOADER_ORDER.compare(a.tensor().name(), b.tensor().name()));
        return steps;
    }

    /**
     * The order llama.cpp's model loader keeps tensors in, and so llama-quantize writes them:
     * tensors outside the blocks first, then block by block (by number, not as text), each
     * group by name (bytewise, as std::string compares).
     */
    static final Comparator<String> LOADER_ORDER = Comparator.comparingLong(ModelQuantizer::layerOf)
            .thenComparing((a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));

    /** n for names starting "blk.n" (the loader reads them with sscanf "blk.%d."), else -1. */
    static long layerOf(String name) {
        if (!name.startsWith("blk.")) return -1;
        int i = 4, start = i;
        if (i < name.length() && (name.charAt(i) == '-' || name.charAt(i) == '+')) i++;
        int digits = i;
        while (i < name.length() && i - digits < 9 && Character.isDigit(name.charAt(i)) && name.charAt(i) < 128) i++;
        return i > digits ? Long.parseLong(name.substring(start, i)) : -1;
    }

    /** Writes {@code out} (atomically): {@code in}'s metadata and tensors, converted as {@link #plan} says. */
    public static void quantize(GgufFile in, Path out, GgmlType target, boolean pure, Progress progress) {
        List<Step> steps = plan(in, target, pure);
        long total = 0;
        for (Step s : steps) total += s.type().bytesFor(s.tensor().elementCount());
        Map<String, GgufValue> metadata = new LinkedHashMap<>(in.metadata());
        // llama.cpp removes and re-adds these two, so they move to the end
        metadata.remove("general.quantization_version");
        metadata.remove("general.file_type");
        metadata.put("general.quantization_version", GgufValue.ofUInt32(QUANTIZATION_VERSION));
        metadata.put("general.file_type", GgufValue.ofUInt32(FileType.of(target)));
        for (String split : List.of("split.no", "split.count", "split.tensors.count")) metadata.remove(split);

        long[] done = {0};
        long totalBytes = total;
        List<GgufWriter.TensorData> tensors = new ArrayList<>();
        for (Step s : steps) {
            GgufTensorInfo t = s.tensor();
            long bytes = s.type().bytesFor(t.elementCount());
            MemorySegment src = in.tensorData(t);
            GgufWriter.TensorBytes produce = s.converts()
                    ? sink -> convert(src, t, s.type(), sink, n -> progress.update(done[0] += n, totalBytes, t.name()))
                    : sink -> {
                        sink.write(src);
                        progress.update(done[0] += bytes, totalBytes, t.name());
                    };
            tensors.add(new GgufWriter.TensorData(t.name(), s.type(), t.dims(), bytes, produce));
        }
        GgufWriter.write(out, in.version(), metadata, tensors);
    }

    /** Whether llama.cpp would quantize this tensor (its rules for Llama-layout models). */
    static boolean isWeightMatrix(GgufTensorInfo t) {
        String n = t.name();
        return t.rank() >= 2 && n.endsWith("weight") && !n.contains("_norm.weight") && !n.contains("ffn_gate_inp.weight");
    }

    private static boolean isFloat(GgmlType type) {
        return type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16;
    }

    /** Rows go through floats a chunk at a time: the heap holds about a megabyte whatever the tensor's size. */
    private static void convert(MemorySegment src, GgufTensorInfo t, GgmlType type, GgufWriter.Sink sink,
                                java.util.function.LongConsumer wrote) throws java.io.IOException {
        int cols = Math.toIntExact(t.dims()[0]);
        long rows = t.elementCount() / cols;
        int rowsPerChunk = Math.max(1, CHUNK_FLOATS / cols);
        long srcRowBytes = t.type().bytesFor(cols), dstRowBytes = type.bytesFor(cols);
        float[] floats = new float[Math.toIntExact((long) rowsPerChunk * cols)];
        try (Arena arena = Arena.ofShared()) { // shared: the rows are written from the pool's threads
            MemorySegment buf = arena.allocate(dstRowBytes * rowsPerChunk);
            for (long r = 0; r < rows; r += rowsPerChunk) {
                int n = (int) Math.min(rowsPerChunk, rows - r);
                Kernels.of(t.type()).dequantize(src, r * srcRowBytes, floats, 0, n * cols);
                // rows are independent: the K-quant searches are slow enough to want every core
                java.util.stream.IntStream.range(0, n).parallel()
                        .forEach(i -> Kernels.quantize(type, floats, i * cols, cols, buf, i * dstRowBytes));
                sink.write(buf.asSlice(0, n * dstRowBytes));
                wrote.accept(n * dstRowBytes);
            }
        }
    }
}
