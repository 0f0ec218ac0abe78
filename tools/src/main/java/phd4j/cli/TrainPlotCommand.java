package phd4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code phd train-plot METRICS... -o FILE.svg}: the loss curves of one or more training runs
 * (their OUT.metrics.jsonl files) in one chart, train loss solid and validation loss dashed in
 * the run's colour, against original tokens; and on stdout a markdown table of the runs (final
 * validation loss, training tokens/s, MFU).
 */
@Command(name = "train-plot", mixinStandardHelpOptions = true,
        description = {"Plot the train and validation loss of training runs (OUT.metrics.jsonl files of phd train) in one SVG chart,",
                "and print a markdown table: final validation loss (whole held-out split), training tokens/s, MFU (of 233 GFLOP/s)."})
final class TrainPlotCommand implements Callable<Integer> {
    /** The peak the MFU is measured against: 2 cores x AVX2 FMA, as in phd train's progress line. */
    static final double PEAK_FLOPS = 233e9;

    @Spec CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "METRICS", description = "OUT.metrics.jsonl files written by phd train")
    List<Path> files;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE.svg", description = "the chart")
    Path out;

    @Option(names = "--title", paramLabel = "TEXT", defaultValue = "Training loss (solid: train, dashed: validation)")
    String title;

    @Override
    public Integer call() throws IOException {
        List<Run> runs = new ArrayList<>();
        for (Path f : files) runs.add(Run.read(f));
        chart(runs, out, title);
        PrintWriter o = spec.commandLine().getOut();
        o.print(table(runs));
        o.flush();
        spec.commandLine().getErr().printf("wrote %s%n", out);
        return 0;
    }

    /**
     * One run as its metrics file tells it. A resumed run appends to the file; where a step
     * appears twice, the later line counts.
     */
    record Run(String name, String phd, long params, double flopsPerToken, long[] steps, double[] tokens, double[] loss,
               long[] valSteps, double[] valTokens, double[] valLoss, double tokS) {
        static Run read(Path file) throws IOException {
            String name = file.getFileName().toString().replaceFirst("\\.gguf\\.metrics\\.jsonl$|\\.metrics\\.jsonl$", ""), phd = "?";
            long params = 0;
            double flops = Double.NaN, tokS = Double.NaN;
            TreeMap<Long, double[]> rows = new TreeMap<>(); // step -> tokens, loss, val (NaN if none), tok_s
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                if (line.startsWith("{\"recipe\"")) {
                    int m = line.indexOf("\"model\":");
                    if (m < 0) continue;
                    String model = line.substring(m);
                    name = str(model, "name", name);
                    phd = str(model, "phd", phd);
                    params = (long) num(model, "params");
                    flops = num(model, "flops_per_token");
                    continue;
                }
                double step = num(line, "step");
                if (Double.isNaN(step)) continue;
                rows.put((long) step, new double[] {num(line, "tokens"), num(line, "loss"), num(line, "val_loss"), num(line, "tok_s")});
            }
            if (rows.isEmpty()) throw new Main.UserException(file + ": no training steps");
            int n = rows.size(), nv = 0;
            for (double[] r : rows.values()) if (!Double.isNaN(r[2])) nv++;
            long[] steps = new long[n], vs = new long[nv];
            double[] tokens = new double[n], loss = new double[n], vt = new double[nv], vl = new double[nv];
            int i = 0, j = 0;
            for (Map.Entry<Long, double[]> e : rows.entrySet()) {
                double[] r = e.getValue();
                steps[i] = e.getKey();
                tokens[i] = r[0];
                loss[i++] = r[1];
                if (!Double.isNaN(r[2])) {
                    vs[j] = e.getKey();
                    vt[j] = r[0];
                    vl[j++] = r[2];
                }
                tokS = r[3];
            }
            return new Run(name, phd, params, flops, steps, tokens, loss, vs, vt, vl, tokS);
        }

        /** The validation loss of the last step, if it was evaluated (phd train evaluates the whole split there). */
        double finalValLoss() {
            return valSteps.length > 0 && valSteps[valSteps.length - 1] == steps[steps.length - 1] ? valLoss[valLoss.length - 1] : Double.NaN;
        }

        double mfu() {
            return tokS * flopsPerToken / PEAK_FLOPS;
        }

        /** Train loss averaged over buckets of steps (about 50 points), at each bucket's last step. */
        double[][] smoothed() {
            int bucket = Math.max(1, steps.length / 50);
            List<double[]> pts = new ArrayList<>();
            for (int a = 0; a < steps.length; a += bucket) {
                int b = Math.min(steps.length, a + bucket);
                double s = 0;
                for (int k = a; k < b; k++) s += loss[k];
                pts.add(new double[] {tokens[b - 1], s / (b - a)});
            }
            double[][] xy = new double[2][pts.size()];
            for (int k = 0; k < pts.size(); k++) {
                xy[0][k] = pts.get(k)[0];
                xy[1][k] = pts.get(k)[1];
            }
            return xy;
        }
    }

    static void chart(List<Run> runs, Path svg) throws IOException {
        chart(runs, svg, "Training loss (solid: train, dashed: validation)");
    }

    static void chart(List<Run> runs, Path svg, String title) throws IOException {
        double maxTokens = 0;
        for (Run r : runs) maxTokens = Math.max(maxTokens, r.tokens()[r.tokens().length - 1]);
        double unit = maxTokens >= 2e6 ? 1e6 : 1e3;
        SvgChart c = new SvgChart(title, "original tokens trained on (" + (unit == 1e6 ? "millions" : "thousands") + ")", "loss (nats per token)");
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Run r : runs) {
            for (double v : r.smoothed()[1]) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            for (double v : r.valLoss()) lo = Math.min(lo, v);
        }
        c.yRange(Math.max(0, Math.floor(lo * 2) / 2 - 0.5), Math.min(hi, lo + 3)); // the end of the curves, not the first steps' near-uniform loss
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            double[][] xy = r.smoothed();
            c.add(r.name() + " train", scaled(xy[0], unit), xy[1], i, false);
            if (r.valLoss().length > 0) c.add(r.name() + " val", scaled(r.valTokens(), unit), r.valLoss(), i, true);
        }
        c.write(svg);
    }

    private static double[] scaled(double[] x, double unit) {
        double[] m = new double[x.length];
        for (int i = 0; i < x.length; i++) m[i] = x[i] / unit;
        return m;
    }

    static String table(List<Run> runs) {
        StringBuilder b = new StringBuilder();
        b.append("| run | model | parameters | steps | original tokens | validation loss | train tokens/s | MFU |\n");
        b.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (Run r : runs) {
            b.append(String.format(Locale.ROOT, "| %s | %s | %,d | %d | %,.0f | %s | %,.0f | %.1f%% |%n", r.name(), r.phd(), r.params(),
                    r.steps()[r.steps().length - 1], r.tokens()[r.tokens().length - 1],
                    Double.isNaN(r.finalValLoss()) ? "-" : String.format(Locale.ROOT, "%.4f", r.finalValLoss()), r.tokS(), 100 * r.mfu()));
        }
        return b.toString();
    }

    private static double num(String json, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":(-?[0-9.eE+-]+|NaN|-?Infinity)").matcher(json);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private static String str(String json, String key, String dflt) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
        return m.find() ? m.group(1).replace("\\\"", "\"").replace("\\\\", "\\") : dflt;
    }
}
