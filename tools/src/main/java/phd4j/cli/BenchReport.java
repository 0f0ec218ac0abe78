package phd4j.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import phd4j.Session;
import phd4j.json.JsonText;

/** Writes {@code phd bench} results as a markdown table, CSV, or llama-bench-compatible JSON. */
final class BenchReport {
    private final String fileName;
    private final String modelType;
    private final long fileSize;
    private final long params;
    private final String paramsText;
    private final int threads;
    private final int batch;
    private final long repackedBytes;

    /** {@code repackedBytes}: the interleaved weight copies made at load, memory beside the mapped file. */
    BenchReport(String fileName, String modelType, long fileSize, long params, String paramsText, int threads, int batch, long repackedBytes) {
        this.fileName = fileName;
        this.modelType = modelType;
        this.fileSize = fileSize;
        this.params = params;
        this.paramsText = paramsText;
        this.threads = threads;
        this.batch = batch;
        this.repackedBytes = repackedBytes;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    /** Sample standard deviation (n - 1), 0 for a single sample, as llama-bench. */
    static double stddev(double[] v) {
        if (v.length < 2) return 0;
        double m = mean(v), s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / (v.length - 1));
    }

    /** Effective weight bandwidth of a generation test in GB/s: weight bytes streamed per token x tokens/s. */
    private static String bandwidth(BenchCommand.Row r) {
        if (r.nGen() == 0) return "";
        return String.format(Locale.ROOT, "%.1f", mean(r.weightsGBps()));
    }

    private static boolean probed(List<BenchCommand.Row> rows) {
        return rows.stream().anyMatch(r -> r.probeGBps() != null);
    }

    void markdown(PrintWriter out, List<BenchCommand.Row> rows) {
        boolean probed = probed(rows);
        // as llama-bench, the batch size is a column only when it is not the default
        boolean batched = batch != Session.DEFAULT_PROMPT_BATCH;
        boolean repacked = repackedBytes > 0;
        out.println("| model | size |" + (repacked ? " repacked |" : "") + " params | backend | threads |" + (batched ? " n_batch |" : "")
                + " K | variant | KV | test | t/s | weights GB/s |" + (probed ? " read GB/s | of read |" : ""));
        out.println("| --- | ---: |" + (repacked ? " ---: |" : "") + " ---: | --- | ---: |" + (batched ? " ---: |" : "") + " ---: | --- | ---: | ---: | ---: | ---: |"
                + (probed ? " ---: | ---: |" : ""));
        for (BenchCommand.Row r : rows) {
            double[] ts = r.rates();
            out.printf(Locale.ROOT, "| %s | %s |%s %s | CPU | %d |%s %d | %s | %s | %s | %.2f ± %.2f | %s |", fileName, InfoCommand.bytes(fileSize),
                    repacked ? " " + InfoCommand.bytes(repackedBytes) + " |" : "", paramsText, threads, batched ? " " + batch + " |" : "", r.phd().k(), r.phd().name(), InfoCommand.bytes(r.kvBytes()), r.test(),
                    mean(ts), stddev(ts), bandwidth(r));
            if (probed && r.probeGBps() != null) {
                double[] f = r.fractionOfProbe();
                out.printf(Locale.ROOT, " %.1f ± %.1f | %.0f ± %.0f %% |", mean(r.probeGBps()), stddev(r.probeGBps()), 100 * mean(f), 100 * stddev(f));
            } else if (probed) {
                out.print(" | |");
            }
            out.println();
        }
    }

    void csv(PrintWriter out, List<BenchCommand.Row> rows) {
        out.println("model_filename,model_size,repacked_bytes,model_n_params,n_threads,n_batch,phd_k,phd_variant,kv_bytes,test,n_prompt,n_gen,avg_ts,stddev_ts,weights_gbps,"
                + "read_gbps,weights_of_read");
        for (BenchCommand.Row r : rows) {
            double[] ts = r.rates();
            String read = "", fraction = "";
            if (r.probeGBps() != null) {
                read = String.format(Locale.ROOT, "%.2f", mean(r.probeGBps()));
                fraction = String.format(Locale.ROOT, "%.4f", mean(r.fractionOfProbe()));
            }
            out.printf(Locale.ROOT, "%s,%d,%d,%d,%d,%d,%d,%s,%d,%s,%d,%d,%.4f,%.4f,%s,%s,%s%n", csvField(fileName), fileSize, repackedBytes, params, threads, batch, r.phd().k(),
                    r.phd().name(), r.kvBytes(), r.test(), r.nPrompt(), r.nGen(), mean(ts), stddev(ts), bandwidth(r), read, fraction);
        }
    }

    private static String csvField(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    void json(PrintWriter out, List<BenchCommand.Row> rows) {
        out.println("[");
        for (int i = 0; i < rows.size(); i++) {
            BenchCommand.Row r = rows.get(i);
            double[] ns = new double[r.seconds().length];
            for (int j = 0; j < ns.length; j++) ns[j] = r.seconds()[j] * 1e9;
            double[] ts = r.rates();
            StringBuilder b = new StringBuilder("  {");
            b.append("\"model_filename\": ").append(JsonText.quote(fileName));
            b.append(", \"model_type\": ").append(JsonText.quote(modelType));
            b.append(", \"model_size\": ").append(fileSize);
            b.append(", \"repacked_bytes\": ").append(repackedBytes);
            b.append(", \"model_n_params\": ").append(params);
            b.append(", \"backends\": \"CPU\"");
            b.append(", \"n_threads\": ").append(threads);
            b.append(", \"n_batch\": ").append(batch);
            b.append(", \"n_prompt\": ").append(r.nPrompt());
            b.append(", \"n_gen\": ").append(r.nGen());
            b.append(String.format(Locale.ROOT, ", \"avg_ns\": %d, \"stddev_ns\": %d", Math.round(mean(ns)), Math.round(stddev(ns))));
            b.append(String.format(Locale.ROOT, ", \"avg_ts\": %.6f, \"stddev_ts\": %.6f", mean(ts), stddev(ts)));
            b.append(", \"samples_ns\": ").append(longs(ns));
            b.append(", \"samples_ts\": ").append(doubles(ts));
            b.append(", \"phd_k\": ").append(r.phd().k());
            b.append(", \"phd_variant\": ").append(JsonText.quote(r.phd().variant().key));
            b.append(", \"phd_window\": ").append(r.phd().window());
            b.append(", \"phd_chunk\": ").append(r.phd().chunk());
            b.append(", \"phd_name\": ").append(JsonText.quote(r.phd().name()));
            b.append(", \"kv_bytes\": ").append(r.kvBytes());
            if (r.nGen() > 0) b.append(", \"weights_bytes_per_token\": ").append(r.bytesPerToken()).append(", \"weights_gbps\": ").append(bandwidth(r));
            if (r.probeGBps() != null) {
                b.append(", \"read_gbps_samples\": ").append(doubles(r.probeGBps()));
                b.append(String.format(Locale.ROOT, ", \"read_gbps\": %.6f, \"weights_of_read\": %.6f, \"weights_of_read_stddev\": %.6f",
                        mean(r.probeGBps()), mean(r.fractionOfProbe()), stddev(r.fractionOfProbe())));
            }
            b.append('}').append(i + 1 < rows.size() ? "," : "");
            out.println(b);
        }
        out.println("]");
    }

    private static String longs(double[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) b.append(i > 0 ? ", " : "").append(Math.round(v[i]));
        return b.append(']').toString();
    }

    private static String doubles(double[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) b.append(i > 0 ? ", " : "").append(String.format(Locale.ROOT, "%.6f", v[i]));
        return b.append(']').toString();
    }
}
