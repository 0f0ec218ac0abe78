package phd4j.cli;

import java.io.PrintWriter;
import java.lang.reflect.Array;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import phd4j.Model;
import phd4j.gguf.GgufArray;
import phd4j.gguf.GgufFile;
import phd4j.gguf.GgufTensorInfo;
import phd4j.gguf.GgufValue;
import phd4j.json.JsonText;
import phd4j.model.KvCache;
import phd4j.model.LlamaConfig;
import phd4j.model.ModelShape;
import phd4j.phd.PhdConfig;
import phd4j.simd.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code phd info}: what a GGUF model file holds and what running it costs in memory. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show a model's metadata, tensors and sizes.")
final class InfoCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin PhdOptions phdOptions;

    @Mixin ContextOption contextOption;

    @Override
    public Integer call() {
        PrintWriter out = common.spec.commandLine().getOut();
        phd4j.phd.PhdConfig override = phdOptions.config();
        try (Model model = Model.load(common.model(), common.loadOptions(override).withThreads(1).withRepack(false))) {
            Activity.set("describing " + model.file().path());
            PhdOptions.announce(model, common.spec.commandLine().getErr());
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
            ModelShape shape = c.shape();
            out.printf("model: %s, %d layers, dim %d, %d heads (%d kv, head dim %d), ffn %d, vocab %d, trained context %d%n",
                    c.architecture(), shape.layers(), shape.dim(), shape.heads(), shape.kvHeads(), shape.headDim(), shape.ffn(), shape.vocab(), c.trainedContext());
            if (!c.options().isEmpty()) out.printf("options: %s%n", c.options());
            out.printf("parameters: %,d%n", model.parameterCount());
            out.printf("weights: %s%n", bytes(model.weightBytes()));
            long repack = model.repackBytes();
            if (repack > 0) {
                out.printf("repack: %s%n", common.noRepack ? "off (--no-repack)"
                        : bytes(repack) + " in memory beside the file: the Q4, Q5 and Q6_K matrices interleaved for decoding (--no-repack: none)");
            }
            PhdConfig phd = model.phd();
            out.printf("phd: %s (K=%d, variant %s, window %d, chunk %d)%s%n", phd.name(), phd.k(), phd.variant().key,
                    phd.window(), phd.chunk(), model.phdOverridden() ? ", imposed by --phd-*" : "");
            int ctx = contextOption.length(model); // a size to report, not to allocate: any -c is fine
            long perToken = 2L * shape.layers() * shape.kvDim() * Float.BYTES;
            out.printf("kv cache (f32): %s per original token; %s for a context of %d", bytes(perToken), bytes(KvCache.bytesFor(c, phd, ctx)), ctx);
            out.printf(phd.keepsHiddenTokens() ? " (incl. %d hidden-token entries per layer)%n" : "%n", phd.window());
            if (phd.k() > 1) {
                out.printf("naive %d-fold repetition would need: %s per token, %s for the same context%n",
                        phd.k(), bytes(perToken * phd.k()), bytes(perToken * phd.k() * ctx));
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
        if (o instanceof String s) return JsonText.quote(s.length() > 80 ? s.substring(0, 80) + "..." : s);
        return String.valueOf(o);
    }

    static String bytes(long n) {
        if (n < 1024) return n + " B";
        if (n < 1024 * 1024) return String.format("%.1f KiB", n / 1024.0);
        if (n < 1024L * 1024 * 1024) return String.format("%.1f MiB", n / 1048576.0);
        return String.format("%.2f GiB", n / 1073741824.0);
    }
}
