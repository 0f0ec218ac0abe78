package phd4j.cli;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import phd4j.Model;
import phd4j.Session;
import phd4j.phd.PhdConfig;
import phd4j.simd.ReadBandwidth;
import phd4j.simd.WorkerPool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code phd bench}: prompt processing (ppN) and generation (tgN) speed, with llama-bench's
 * conventions: warm-up, then the mean and standard deviation over r runs; tokenization and
 * sampling excluded (random token ids, no sampling), every run on a fresh session. Adds the PHD
 * settings, the KV bytes and, for generation, the effective weight bandwidth. Where llama-bench
 * makes one warm-up run, this one repeats it for at least {@code --warmup} seconds and until
 * two runs in a row agree within {@link #STEADY} (at most {@link #MAX_WARMUPS} runs): the JIT
 * compiles the kernels in the background, for seconds on two cores busy with the runs, and on a
 * small model one warm-up run is over long before that (the default model's tg128 varied by
 * ± 20-50 % between runs; 1.1b Q4_K_M's first measured tg128 run took 7.3 s after a 6.9 s
 * warm-up run, the next ones 3.4 and 2.8).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure prompt and generation speed, llama-bench style.")
final class BenchCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin PhdOptions phdOptions;

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "N", defaultValue = "512", description = "prompt tokens; 0 skips the pp test (default: ${DEFAULT-VALUE})")
    int nPrompt;

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", defaultValue = "128", description = "generated tokens; 0 skips the tg test (default: ${DEFAULT-VALUE})")
    int nGen;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N",
            description = "prompt tokens per forward pass (plus their hidden copies), llama.cpp's n_batch (default: ${DEFAULT-VALUE})")
    int batch = Session.DEFAULT_PROMPT_BATCH;

    @Option(names = {"-r", "--repetitions"}, paramLabel = "R", defaultValue = "5", description = "runs per test after a warm-up (default: ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "2",
            description = "repeat the warm-up run for at least this long, and until two runs agree within 5 %%, so the JIT is done before the measured runs (default: ${DEFAULT-VALUE})")
    double warmupSeconds;

    @Option(names = "--probe", description = "also measure read bandwidth (a vectorized sum over 1 GiB on the same number of threads) "
            + "around every generation run, and report the weights' bandwidth as a fraction of it")
    boolean probe;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "md", description = "md, csv or json (default: ${DEFAULT-VALUE})")
    String output;

    /**
     * One measured test: the fields llama-bench reports, plus PHD's. {@code probeGBps[i]}, when
     * probed, is the read bandwidth around run i (the mean of the probes just before and after it).
     */
    record Row(String test, int nPrompt, int nGen, PhdConfig phd, long kvBytes, double[] seconds, int tokens,
               long bytesPerToken, double[] probeGBps) {
        double[] rates() {
            double[] r = new double[seconds.length];
            for (int i = 0; i < r.length; i++) r[i] = tokens / seconds[i];
            return r;
        }

        /** Weight bytes streamed per second of each generation run, in GB/s. */
        double[] weightsGBps() {
            double[] r = rates();
            for (int i = 0; i < r.length; i++) r[i] *= bytesPerToken / 1e9;
            return r;
        }

        /** Each generation run's weight bandwidth as a fraction of the probe around it; null when not probed. */
        double[] fractionOfProbe() {
            if (probeGBps == null) return null;
            double[] r = weightsGBps();
            for (int i = 0; i < r.length; i++) r[i] /= probeGBps[i];
            return r;
        }
    }

    @Override
    public Integer call() throws Exception {
        if (nPrompt < 0 || nGen < 0 || nPrompt + nGen == 0) throw common.bad("-p and -n must be >= 0, not both 0");
        if (repetitions < 1) throw common.bad("-r must be >= 1, got " + repetitions);
        if (batch < 1 || batch > Session.MAX_PROMPT_BATCH) throw common.bad("-b must be 1 to " + Session.MAX_PROMPT_BATCH + ", got " + batch);
        if (!(warmupSeconds >= 0 && warmupSeconds <= 3600)) throw common.bad("--warmup must be 0 to 3600 seconds, got " + warmupSeconds);
        if (!List.of("md", "csv", "json").contains(output)) throw common.bad("-o must be md, csv or json, got '" + output + "'");
        List<PhdConfig> imposed = phdOptions.configs();
        List<Row> rows = new ArrayList<>();
        PrintWriter err = common.spec.commandLine().getErr();
        String fileName = common.model().getFileName().toString();
        long fileSize = Files.size(common.model());
        try (Model first = Model.load(common.model(), common.loadOptions(null).withThreads(1).withRepack(false));
             WorkerPool probePool = probe ? new WorkerPool(common.threads) : null;
             ReadBandwidth bandwidth = probe ? probeBuffer(probePool) : null) {
            List<PhdConfig> configs = imposed.isEmpty() ? List.of(first.phd()) : imposed;
            String params = String.format("%.2f M", first.parameterCount() / 1e6);
            long repacked = 0;
            for (PhdConfig phd : configs) {
                try (Model model = Model.load(common.model(), common.loadOptions(phd))) {
                    repacked = model.repackedBytes();
                    Activity.set("benchmarking " + model.file().path());
                    long perToken = streamedBytesPerToken(model);
                    if (nPrompt > 0) rows.add(measure(model, phd, "pp" + nPrompt, nPrompt, 0, perToken, null, err));
                    if (nGen > 0) rows.add(measure(model, phd, "tg" + nGen, 0, nGen, perToken, bandwidth, err));
                }
            }
            PrintWriter out = common.spec.commandLine().getOut();
            BenchReport report = new BenchReport(fileName, first.config().architecture(), fileSize, first.parameterCount(), params, common.threads, batch,
                    repacked);
            switch (output) {
                case "md" -> report.markdown(out, rows);
                case "csv" -> report.csv(out, rows);
                default -> report.json(out, rows);
            }
            out.flush();
        }
        return 0;
    }

    /** The --probe buffer: 1 GiB, far larger than any cache. */
    private static ReadBandwidth probeBuffer(WorkerPool pool) {
        try {
            return new ReadBandwidth(1L << 30, pool);
        } catch (OutOfMemoryError e) {
            throw new Main.UserException("--probe needs 1 GiB of memory for its read buffer and could not get it (" + e.getMessage() + ")");
        }
    }

    /** Weight bytes a decode step streams: every matrix but the embedding table (only one row of it is read). */
    static long streamedBytesPerToken(Model model) {
        long embedding = model.file().tensor("token_embd.weight").byteSize();
        boolean tied = model.file().findTensor("output.weight").isEmpty();
        return model.weightBytes() - (tied ? 0 : embedding);
    }

    private Row measure(Model model, PhdConfig phd, String test, int prompt, int gen, long perToken, ReadBandwidth bandwidth,
                        PrintWriter err) {
        Runs runs = timeRuns(model, prompt, gen, batch, repetitions, warmupSeconds, bandwidth, err);
        int ctx = Math.max(prompt + gen, 1);
        long kv;
        try (Session s = model.newSession(ctx)) {
            kv = s.kvCacheBytes();
        }
        return new Row(test, prompt, gen, phd, kv, runs.seconds(), prompt > 0 ? prompt : gen, perToken, runs.probeGBps());
    }

    /** Warm-up goes on until a run's time is within this fraction of the run before. */
    static final double STEADY = 0.05;
    /** ... or, once the --warmup seconds are over, this many runs were made (on a noisy machine runs may never agree). */
    static final int MAX_WARMUPS = 10;

    /**
     * Seconds of each of {@code runs} runs, each on a fresh session: evaluating a prompt of
     * {@code prompt} random tokens (variant-minimal prefill, in forward passes of {@code batch}
     * tokens), or else {@code gen} single-token
     * decode steps. Before them, warm-up runs for at least {@code warmupSeconds} and until two
     * in a row agree within {@link #STEADY}, at most {@link #MAX_WARMUPS}.
     * Progress lines go to err. With a {@code bandwidth} probe, probeGBps[i] is the mean of the
     * read bandwidth measured just before and just after run i (else null).
     */
    static Runs timeRuns(Model model, int prompt, int gen, int batch, int runs, double warmupSeconds, ReadBandwidth bandwidth,
                         PrintWriter err) {
        SplittableRandom random = new SplittableRandom(42);
        String test = prompt > 0 ? "pp" + prompt : "tg" + gen;
        long start = System.nanoTime(), warmupEnd = start + (long) (warmupSeconds * 1e9);
        int warmups = 0, afterMinimum = 0; // runs made once the --warmup seconds were over
        long previous = 0;
        boolean steady = false;
        do {
            if (System.nanoTime() >= warmupEnd) afterMinimum++;
            long ns = timeRun(model, prompt, gen, batch, random);
            steady = warmups > 0 && Math.abs(ns - previous) <= STEADY * previous;
            previous = ns;
            warmups++;
        } while (System.nanoTime() < warmupEnd || !steady && afterMinimum < MAX_WARMUPS);
        err.printf("%s %s warm-up: %d run%s, %s, %.1f ms%n", model.phd().name(), test, warmups, warmups == 1 ? "" : "s",
                steady ? "the last two within " + Math.round(100 * STEADY) + " %" : "not steady", (System.nanoTime() - start) / 1e6);
        double[] seconds = new double[runs];
        double[] probes = bandwidth == null ? null : new double[runs];
        double before = bandwidth == null ? 0 : bandwidth.gbPerSecond(PROBE_PASSES);
        for (int run = 0; run < runs; run++) {
            long sections = model.parallelSections();
            long allocated = allocatedBytes();
            long ns = timeRun(model, prompt, gen, batch, random);
            double allocatedPerToken = (double) (allocatedBytes() - allocated) / (prompt > 0 ? prompt : gen);
            seconds[run] = ns / 1e9;
            double perToken = (double) (model.parallelSections() - sections) / (prompt > 0 ? prompt : gen);
            String probed = "";
            if (bandwidth != null) {
                double after = bandwidth.gbPerSecond(PROBE_PASSES);
                probes[run] = (before + after) / 2;
                probed = String.format(", read bandwidth %.1f GB/s before, %.1f after", before, after);
                before = after;
            }
            err.printf("%s %s run %d: %.1f ms (%.1f parallel sections and %.0f KiB allocated per token%s)%n", model.phd().name(), test,
                    run + 1, ns / 1e6, perToken, allocatedPerToken / 1024, probed);
            err.flush();
        }
        return new Runs(seconds, probes);
    }

    /**
     * Heap bytes allocated so far by all the JVM's threads. A decode step should allocate next to
     * nothing: megabytes a token mean vector operations left boxed by the JIT (1.1b Q4_K_M once
     * allocated 150 MB a token that way, and decoded 10-20 % slower).
     */
    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getTotalThreadAllocatedBytes();
    }

    /** What {@link #timeRuns} measured: seconds per run, and the read bandwidth around each (null without a probe). */
    record Runs(double[] seconds, double[] probeGBps) {
    }

    /** Reads of the probe's 1 GiB per measurement: about 60 ms at 35 GB/s, short next to a run on a model worth probing. */
    private static final int PROBE_PASSES = 2;

    /** Nanoseconds of one run on a fresh session. */
    private static long timeRun(Model model, int prompt, int gen, int batch, SplittableRandom random) {
        int[] tokens = random.ints(Math.max(prompt, gen), 0, model.config().shape().vocab()).toArray();
        int ctx = Math.max(prompt + gen, 1);
        try (Session s = model.newSession(ctx, Session.defaultKeep(ctx), batch)) {
            long t0 = System.nanoTime();
            if (prompt > 0) {
                s.evaluate(tokens);
            } else {
                for (int i = 0; i < gen; i++) s.evaluate(new int[] {tokens[i]});
            }
            return System.nanoTime() - t0;
        }
    }
}
