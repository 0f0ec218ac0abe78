package phd4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import phd4j.Model;
import phd4j.Session;
import phd4j.phd.PhdConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code phd sweep}: the paper's Figure 9 on this machine: decode time per token against K for
 * PHD, PHD-SWA and PHD-CSWA next to vanilla, and prefill time against K. Writes a CSV and two
 * SVG charts into a folder and prints a markdown table.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Decode and prefill time against K for PHD, PHD-SWA and PHD-CSWA (the paper's Figure 9).")
final class SweepCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = {"-k", "--ks"}, paramLabel = "K,K,...", split = ",", defaultValue = "1,2,3,4,6,8,12,16",
            description = "values of K (default: ${DEFAULT-VALUE})")
    List<Integer> ks;

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "N", defaultValue = "256", description = "prompt tokens for prefill; 0 skips (default: ${DEFAULT-VALUE})")
    int nPrompt;

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", defaultValue = "32", description = "decode steps per run (default: ${DEFAULT-VALUE})")
    int nGen;

    @Option(names = {"-r", "--repetitions"}, paramLabel = "R", defaultValue = "3", description = "runs per point after a warm-up (default: ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = "--window", paramLabel = "W", defaultValue = "16", description = "W of PHD-SWA and PHD-CSWA (default: ${DEFAULT-VALUE})")
    int window;

    @Option(names = "--chunk", paramLabel = "C", defaultValue = "32", description = "C of PHD-CSWA (default: ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", required = true, description = "folder for sweep.csv, decode.svg, prefill.svg")
    Path outDir;

    private record Point(String variant, int k, String test, double ms, double sd) {}

    @Override
    public Integer call() throws IOException {
        if (nGen < 1 || nPrompt < 0 || repetitions < 1) throw common.bad("-n and -r must be >= 1, -p >= 0");
        if (window < 1 || chunk < 1) throw common.bad("--window and --chunk must be >= 1");
        for (int k : ks) if (k < 1) throw common.bad("K must be >= 1, got " + k);
        Files.createDirectories(outDir);
        PrintWriter err = common.spec.commandLine().getErr();
        List<Point> points = new ArrayList<>();
        List<PhdConfig.Variant> variants = List.of(PhdConfig.Variant.PHD, PhdConfig.Variant.SWA, PhdConfig.Variant.CSWA);
        try (Model model = Model.load(common.model(), common.loadOptions(null))) { // JIT warm-up before the first timed point
            BenchCommand.timeRuns(model, Math.min(nPrompt, 64), 0, Session.DEFAULT_PROMPT_BATCH, 1, 0, null, err);
            BenchCommand.timeRuns(model, 0, nGen, Session.DEFAULT_PROMPT_BATCH, 1, 0, null, err);
        }
        for (PhdConfig.Variant v : variants) {
            for (int k : ks) {
                PhdConfig phd = new PhdConfig(k, v, v == PhdConfig.Variant.PHD ? 0 : window, v == PhdConfig.Variant.CSWA ? chunk : 0);
                try (Model model = Model.load(common.model(), common.loadOptions(phd))) {
                    Activity.set("benchmarking " + model.file().path());
                    double[] tg = BenchCommand.timeRuns(model, 0, nGen, Session.DEFAULT_PROMPT_BATCH, repetitions, 0, null, err).seconds();
                    points.add(point(v, k, "decode ms/token", tg, nGen));
                    if (nPrompt > 0) {
                        double[] pp = BenchCommand.timeRuns(model, nPrompt, 0, Session.DEFAULT_PROMPT_BATCH, repetitions, 0, null, err).seconds();
                        points.add(point(v, k, "prefill ms", pp, 1));
                    }
                }
            }
        }
        writeCsv(points);
        chart(points, "decode ms/token", "Decode time per token against K", "decode.svg");
        if (nPrompt > 0) chart(points, "prefill ms", "Prefill time of a " + nPrompt + "-token prompt against K", "prefill.svg");
        PrintWriter out = common.spec.commandLine().getOut();
        out.println("| variant | K | decode ms/token | x K=1 | prefill ms | x K=1 |");
        out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
        for (PhdConfig.Variant v : variants) {
            double base = find(points, v, 1, "decode ms/token"), basePre = find(points, v, 1, "prefill ms");
            for (int k : ks) {
                double d = find(points, v, k, "decode ms/token"), p = find(points, v, k, "prefill ms");
                out.printf(Locale.ROOT, "| %s | %d | %.2f | %.2f | %s | %s |%n", v.key, k, d, d / base,
                        Double.isNaN(p) ? "" : String.format(Locale.ROOT, "%.1f", p), Double.isNaN(p) ? "" : String.format(Locale.ROOT, "%.2f", p / basePre));
            }
        }
        out.flush();
        err.println("wrote " + outDir.resolve("sweep.csv") + ", decode.svg" + (nPrompt > 0 ? ", prefill.svg" : ""));
        return 0;
    }

    private static Point point(PhdConfig.Variant v, int k, String test, double[] seconds, int per) {
        double[] ms = new double[seconds.length];
        for (int i = 0; i < ms.length; i++) ms[i] = seconds[i] * 1e3 / per;
        return new Point(v.key, k, test, BenchReport.mean(ms), BenchReport.stddev(ms));
    }

    private static double find(List<Point> points, PhdConfig.Variant v, int k, String test) {
        for (Point p : points) if (p.variant().equals(v.key) && p.k() == k && p.test().equals(test)) return p.ms();
        return Double.NaN;
    }

    private void writeCsv(List<Point> points) throws IOException {
        StringBuilder b = new StringBuilder("variant,k,window,chunk,test,ms,sd_ms\n");
        for (Point p : points) {
            b.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%s,%.4f,%.4f%n", p.variant(), p.k(), window, chunk, p.test(), p.ms(), p.sd()));
        }
        Files.writeString(outDir.resolve("sweep.csv"), b.toString());
    }

    private void chart(List<Point> points, String test, String title, String file) throws IOException {
        SvgChart chart = new SvgChart(title + " (" + common.model().getFileName() + ", " + common.threads + " threads)", "K", test);
        for (PhdConfig.Variant v : PhdConfig.Variant.values()) {
            List<Point> ps = points.stream().filter(p -> p.variant().equals(v.key) && p.test().equals(test)).toList();
            if (ps.isEmpty()) continue;
            String name = switch (v) {
                case PHD -> "PHD";
                case SWA -> "PHD-SWA-K-" + window;
                case CSWA -> "PHD-CSWA-K-" + window + "-" + chunk;
            };
            chart.add(name, ps.stream().mapToDouble(Point::k).toArray(), ps.stream().mapToDouble(Point::ms).toArray());
        }
        List<Point> vanilla = points.stream().filter(p -> p.k() == 1 && p.variant().equals("phd") && p.test().equals(test)).toList();
        if (!vanilla.isEmpty()) {
            double[] x = ks.stream().mapToDouble(Integer::doubleValue).toArray();
            double[] y = new double[x.length];
            java.util.Arrays.fill(y, vanilla.getFirst().ms());
            chart.add("vanilla (K=1)", x, y);
        }
        chart.write(outDir.resolve(file));
    }
}
