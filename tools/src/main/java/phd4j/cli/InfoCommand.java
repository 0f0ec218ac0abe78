package phd4j.cli;

import java.io.PrintWriter;
import java.lang.reflect.Array;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import phd4j.Model;
import phd4j.Session;
import phd4j.gguf.GgufArray;
import phd4j.gguf.GgufFile;
import phd4j.gguf.GgufTensorInfo;
import phd4j.gguf.GgufValue;
import phd4j.model.LlamaConfig;
import phd4j.simd.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code phd info}: what a GGUF model file holds and what running it costs in memory. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show a model's metadata, tensors and sizes.")
final class InfoCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "CTX", defaultValue = "0",
            description = "context length for the KV cache figures; 0: the model's, at most 4096")
    int context;

    @Override
    public Integer call() {
        if (context < 0) throw common.bad("-c must be >= 0, got " + context);
        PrintWriter out = common.spec.commandLine().getOut();
        try (Model model = Model.load(common.model, 1)) {
            GgufFile f = model.file();
            out.printf("file: %s (GGUF v%d, %s)%n", f.path(), f.version(), bytes(f.fileSize()));
            out.println("metadata:");
            for (Map.Entry<String, GgufValue> e : f.metadata().entrySet()) {
                out.printf("  %-40s %s%n", e.getKey(), show(e.getValue()));
            }
            Map<GgmlType, long[]> byType = new TreeMap<>();
            for (GgufTensorInfo t : f.tensors()) {
                long[] s = byType.computeIfAbsent(t.type(), k -> new long[2]);
                s[0]++;
                s[1] += t.byteSize();
            }
            out.printf("tensors: %d%n", f.tensors().size());
            byType.forEach((type, s) -> out.printf("  %-6s %5d tensors %12s%n", type, s[0], bytes(s[1])));
            LlamaConfig c = model.config();
            out.printf("model: %s, %d layers, dim %d, %d heads (%d kv, head dim %d), ffn %d, vocab %d, trained context %d%n",
                    c.architecture(), c.layers(), c.dim(), c.heads(), c.kvHeads(), c.headDim(), c.ffnDim(), c.vocabSize(), c.trainedContext());
            out.printf("parameters: %,d%n", model.parameterCount());
            out.printf("weights: %s%n", bytes(model.weightBytes()));
            int ctx = context > 0 ? context : Math.min(c.trainedContext(), 4096);
            long perToken = 2L * c.layers() * c.kvDim() * Float.BYTES;
            try (Session s = model.newSession(ctx)) {
                out.printf("kv cache: %s per token, %s for a context of %d (f32)%n", bytes(perToken), bytes(s.kvCacheBytes()), ctx);
            }
        }
        out.flush();
        return 0;
    }

    private static String show(GgufValue v) {
        if (v.value() instanceof GgufArray a) {
            StringBuilder b = new StringBuilder("[" + a.elementType() + " x " + a.length() + "]");
            int n = Math.min(a.length(), 6);
            if (!(a.values() instanceof GgufArray[])) {
                b.append(" ");
                for (int i = 0; i < n; i++) b.append(i == 0 ? "" : ", ").append(scalar(Array.get(a.values(), i)));
                if (a.length() > n) b.append(", ...");
            }
            return b.toString();
        }
        return v.type() + " " + scalar(v.value());
    }

    private static String scalar(Object o) {
        if (o instanceof String s) return Json.string(s.length() > 80 ? s.substring(0, 80) + "..." : s);
        return String.valueOf(o);
    }

    static String bytes(long n) {
        if (n < 1024) return n + " B";
        if (n < 1024 * 1024) return String.format("%.1f KiB", n / 1024.0);
        if (n < 1024L * 1024 * 1024) return String.format("%.1f MiB", n / 1048576.0);
        return String.format("%.2f GiB", n / 1073741824.0);
    }
}
