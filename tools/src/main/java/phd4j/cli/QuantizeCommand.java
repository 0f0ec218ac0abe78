package phd4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import phd4j.convert.ModelQuantizer;
import phd4j.gguf.GgufFile;
import phd4j.simd.GgmlType;
import phd4j.simd.Kernels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code phd quantize}: converts a model's weight matrices to another type, as llama-quantize does. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Convert a GGUF model's weight matrices to another type (from F32, F16 or BF16).",
                "With --pure, F32, F16, BF16, Q8_0 and Q4_0 output is byte for byte what llama-quantize --pure writes;",
                "Q4_K, Q5_K and Q6_K start from llama.cpp's search and refine it: at least as accurate, not identical.",
                "Without --pure, the output matrix of a Q4_0, Q4_K, Q5_K or Q6_K file is Q6_K (Q8_0 if its rows are not",
                "a multiple of 256), as llama.cpp does; the other mixing of llama.cpp's Q4_K_M / Q5_K_M (Q6_K for some",
                "attn_v and ffn_down matrices) is not done: every other matrix gets TYPE.",
                "1-D tensors (norms) are copied; a matrix whose rows do not fit the type's blocks (32, or 256 for the",
                "K-quants) keeps its type."})
final class QuantizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "input GGUF model")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "output GGUF file (written atomically)")
    Path out;

    @Parameters(index = "2", paramLabel = "TYPE", description = "F32, F16, BF16, Q8_0, Q5_0, Q5_1, Q4_0, Q4_K, Q5_K or Q6_K")
    String typeName;

    @Option(names = "--pure", description = "every weight matrix to TYPE, the output and embedding matrices too")
    boolean pure;

    @Mixin VerboseOption verbose;

    @Override
    public Integer call() {
        GgmlType type = parseType(spec, typeName);
        PrintWriter err = spec.commandLine().getErr();
        long t0 = System.nanoTime();
        try (GgufFile f = GgufFile.open(in)) {
            List<ModelQuantizer.Step> plan = ModelQuantizer.plan(f, type, pure);
            for (ModelQuantizer.Step s : plan) {
                if (s.note() != null) err.println("note: " + s.tensor().name() + ": " + s.note());
            }
            ProgressBar bar = new ProgressBar(err, "quantize");
            try {
                ModelQuantizer.quantize(f, out, type, pure, bar);
            } finally {
                bar.finish();
            }
            Map<GgmlType, Integer> byType = new TreeMap<>();
            long bytes = 0;
            for (ModelQuantizer.Step s : plan) {
                byType.merge(s.type(), 1, Integer::sum);
                bytes += s.type().bytesFor(s.tensor().elementCount());
            }
            StringBuilder types = new StringBuilder();
            byType.forEach((t, n) -> types.append(types.isEmpty() ? "" : ", ").append(n).append(' ').append(t));
            err.printf("wrote %s: %d tensors (%s), %s of tensor data, in %.1f s%n", out, plan.size(), types,
                    InfoCommand.bytes(bytes), (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }

    /** The type named by the user, case-insensitively, if phd4j can write it; a usage error otherwise. */
    static GgmlType parseType(CommandSpec spec, String name) {
        try {
            GgmlType t = GgmlType.valueOf(name.toUpperCase(java.util.Locale.ROOT));
            if (Kernels.canQuantizeTo(t)) return t;
        } catch (IllegalArgumentException notAType) {
            // reported below, with the list of types that work
        }
        throw new ParameterException(spec.commandLine(), "unsupported type '" + name + "' (" + Kernels.SUPPORTED + ")");
    }
}
