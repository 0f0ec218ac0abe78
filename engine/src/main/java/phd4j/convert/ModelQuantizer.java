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
import phd4j.simd.Quantizers;

/**
 * Converts the weight matrices of a GGUF model to another type, as {@code llama-quantize} does,
 * so that with {@code pure} the output is byte for byte llama-quantize's {@code --pure} output
 * for F32, F16, BF16, Q8_0 and Q4_0 (same metadata order, same tensor bytes).
 *
 * <p>Which tensors change (llama.cpp's rules, restricted to Llama-layout models): tensors of two
 * or more dims whose name ends in {@code weight}, norms ({@code *_norm.weight}) excepted; 1-D
 * tensors are copied unchanged. Without {@code pure}, llama.cpp gives the output matrix (or the
 * embedding when it doubles as the output) of a Q4_0 file Q6_K; phd4j cannot write Q6_K yet and
 * uses Q8_0 there, the next type up that it can. A matrix whose rows are not a multiple of the
 * target's block size keeps its type (llama.cpp would fall back to F16). Tensors are written in
 * llama.cpp's loader order ({@link #LOADER_ORDER}), not the input's. Only F32, F16 and BF16
 * tensors are converted: re-quantizing loses accuracy twice, and llama.cpp refuses it by default too.
 */
public final class ModelQuantizer {
    /** llama.cpp's GGML_QNT_VERSION, written to general.quantization_version. */
    static final int QUANTIZATION_VERSION = 2;
    private static final int CHUNK_FLOATS = 1 << 18;

    private ModelQuantizer() {}

    /** What happens to one tensor: its new type, and why when that is not the requested one. */
    public record Step(GgufTensorInfo tensor, GgmlType type, String note) {
        public boolean converts() {
            return type != tensor.type();
        }
    }

    /** The type each tensor of {@code in} gets; throws IllegalArgumentException for what cannot be converted. */
    public static List<Step> plan(GgufFile in, GgmlType target, boolean pure) {
        if (!Quantizers.canQuantizeTo(target)) {
            throw new IllegalArgumentException("cannot quantize to " + target + " (supported: F32, F16, BF16, Q8_0, Q4_0)");
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
            if (!pure && output && target == GgmlType.Q4_0) {
                type = GgmlType.Q8_0;
                note = "output matrix: Q8_0 (llama.cpp uses Q6_K, which phd4j cannot write yet)";
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
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(dstRowBytes * rowsPerChunk);
            for (long r = 0; r < rows; r += rowsPerChunk) {
                int n = (int) Math.min(rowsPerChunk, rows - r);
                Kernels.of(t.type()).dequantize(src, r * srcRowBytes, floats, 0, n * cols);
                for (int i = 0; i < n; i++) Quantizers.quantize(type, floats, i * cols, cols, buf, i * dstRowBytes);
                sink.write(buf.asSlice(0, n * dstRowBytes));
                wrote.accept(n * dstRowBytes);
            }
        }
    }
}
