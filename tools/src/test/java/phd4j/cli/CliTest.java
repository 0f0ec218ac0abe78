package phd4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.testing.Json;
import phd4j.testing.SharedFiles;
import picocli.CommandLine;

/** The command line as a user meets it: exit statuses, one-line errors, output formats. */
class CliTest {
    record Result(int status, String out, String err) {}

    static Result phd(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int status = cl.execute(args);
        return new Result(status, out.toString(), err.toString());
    }

    static String stories() {
        return SharedFiles.file("models/stories260K.gguf").toString();
    }

    @Test
    void unknownFlagIsAOneLineUsageError() {
        Result r = phd("run", "--bogus", "-m", "x.gguf", "-p", "hi");
        assertEquals(2, r.status());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("--bogus"), r.err());
    }

    @Test
    void badValuesAreUsageErrors() {
        assertEquals(2, phd("run", "-m", "x.gguf", "-p", "hi", "-t", "0").status());
        assertEquals(2, phd("run", "-m", "x.gguf", "-p", "hi", "-n", "abc").status());
        assertEquals(2, phd("run", "-m", "x.gguf").status(), "no prompt");
        assertEquals(2, phd("logits", "-m", "x.gguf").status(), "no prompt");
        assertEquals(2, phd("nonsense").status());
        assertEquals(2, phd().status());
    }

    @Test
    void helpOnEveryCommand() {
        // picocli reports a description it cannot format (a lone %) on System.err, not the command's err
        PrintStream systemErr = System.err;
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
        try {
            for (String cmd : Main.commandLine().getSubcommands().keySet()) {
                Result r = phd(cmd, "--help");
                assertEquals(0, r.status(), cmd);
                assertTrue(r.out().contains("Usage: phd " + cmd), r.out());
            }
        } finally {
            System.setErr(systemErr);
        }
        assertEquals("", warnings.toString(StandardCharsets.UTF_8));
    }

    @Test
    void missingOrMalformedModelIsOneLine(@TempDir Path dir) throws Exception {
        Result r = phd("run", "-m", dir.resolve("nope.gguf").toString(), "-p", "hi");
        assertEquals(1, r.status());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("nope.gguf"), r.err());

        Path junk = dir.resolve("junk.gguf");
        Files.writeString(junk, "GGUF but not really");
        r = phd("info", "-m", junk.toString());
        assertEquals(1, r.status());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("junk.gguf"), r.err());
    }

    @Test
    void promptLongerThanContextFailsBeforeWork() {
        Result r = phd("run", "-m", stories(), "-p", "Once upon a time there was a little girl", "-c", "4", "-n", "5");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("longer than the context of 4"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void runWithoutModelUsesTheShippedDefaultPhdModel() {
        Result r = phd("run", "-p", "It is a truth universally acknowledged", "-n", "8", "--temp", "0", "-t", "1");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("It is a truth universally acknowledged"), "the prompt first: " + r.out());
        assertFalse(r.out().substring("It is a truth universally acknowledged".length()).isBlank(), "generated text");
        assertTrue(r.err().contains("PHD-CSWA-2-16-32"), r.err());
    }

    @Test
    void runStreamsGreedyText() {
        Map<String, Object> fixture = fixture(0);
        Result r = phd("run", "-m", stories(), "-p", (String) fixture.get("prompt"), "--temp", "0", "-n", "20", "-t", "2",
                "--no-display-prompt");
        assertEquals(0, r.status(), r.err());
        String expect = (String) fixture.get("greedy_text");
        String text = r.out().stripTrailing();
        assertTrue(expect.startsWith(text) && text.length() > 20, "got '" + text + "'");
        assertTrue(r.err().contains("t/s"), r.err());
    }

    @Test
    void runGoesOnPastAFullContextWithTheRing() {
        Result r = phd("run", "-m", stories(), "-p", "Once upon a time", "--temp", "0", "-c", "16", "-n", "60", "--ignore-eos");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("more tokens than the context of 16"), r.err());
        assertTrue(r.err().contains("generation:    59 tokens"), r.err());
    }

    /** -n 0 fills the context and stops: the prompt's tokens plus those generated make -c (the last one sampled, not evaluated). */
    @Test
    void runWithZeroStopsWhenTheContextIsFull() {
        Result r = phd("run", "-m", stories(), "-p", "Once upon a time", "--temp", "0", "-c", "16", "-n", "0", "--ignore-eos");
        assertEquals(0, r.status(), r.err());
        java.util.regex.Matcher prompt = java.util.regex.Pattern.compile("prompt: +(\\d+) tokens").matcher(r.err());
        assertTrue(prompt.find(), r.err());
        assertTrue(r.err().contains("generation: " + String.format("%5d", 16 - Integer.parseInt(prompt.group(1)) - 1) + " tokens"), r.err());
        assertFalse(r.err().contains("more tokens than the context"), r.err());
    }

    @Test
    void phdOverrideIsAnnouncedAndValidated() {
        Result r = phd("run", "-m", stories(), "-p", "Once", "--temp", "0", "-n", "4", "--phd-k", "3",
                "--phd-variant", "phd-cswa", "--phd-window", "4", "--phd-chunk", "8");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("overriding the file's PHD settings (vanilla) with PHD-CSWA-3-4-8"), r.err());
        assertEquals(2, phd("run", "-m", stories(), "-p", "x", "--phd-k", "0").status());
        assertEquals(2, phd("run", "-m", stories(), "-p", "x", "--phd-k", "2", "--phd-variant", "phd-swa").status(), "no window");
        assertEquals(2, phd("run", "-m", stories(), "-p", "x", "--phd-k", "2", "--phd-variant", "nope").status());
        assertEquals(2, phd("run", "-m", stories(), "-p", "x", "--phd-window", "2").status(), "window without K");
    }

    @Test
    void logitsPrintsTheFixtureFormat() {
        Map<String, Object> fixture = fixture(1);
        Result r = phd("logits", "-m", stories(), "-n", "8", "-p", (String) fixture.get("prompt"), "--ids", "1,403,407");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size());
        @SuppressWarnings("unchecked")
        Map<String, Object> got = (Map<String, Object>) Json.parse(lines.get(0));
        assertEquals(List.of("prompt", "n_vocab", "tokens", "logits", "greedy", "greedy_text"), List.copyOf(got.keySet()));
        assertArrayEquals(Json.ints(fixture.get("tokens")), Json.ints(got.get("tokens")));
        int[] greedy = Json.ints(got.get("greedy"));
        assertArrayEquals(java.util.Arrays.copyOf(Json.ints(fixture.get("greedy")), 8), greedy);
        assertEquals(((List<?>) fixture.get("logits")).size(), ((List<?>) got.get("logits")).size());
        @SuppressWarnings("unchecked")
        Map<String, Object> ids = (Map<String, Object>) Json.parse(lines.get(1));
        assertArrayEquals(new int[] {1, 403, 407}, Json.ints(ids.get("tokens")));
    }

    @Test
    void tokenizeCasesReproducesLlamaCppVectors() throws Exception {
        Path vocab = SharedFiles.file("fixtures/vocab/ggml-vocab-llama-spm.gguf");
        Result r = phd("tokenize", "-m", vocab.toString(), "--cases", vocab + ".inp");
        assertEquals(0, r.status(), r.err());
        List<String> expect = Files.readAllLines(Path.of(vocab + ".out"));
        assertEquals(expect, r.out().lines().toList());
    }

    @Test
    void infoShowsShapeAndSizes() {
        Result r = phd("info", "-m", stories());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("general.architecture"), r.out());
        assertTrue(r.out().contains("parameters:"), r.out());
        assertTrue(r.out().contains("kv cache (f32):"), r.out());
        assertTrue(r.out().contains("phd: vanilla"), r.out());
        r = phd("info", "-m", stories(), "-c", "256", "--phd-k", "4");
        assertTrue(r.out().contains("phd: PHD-4"), r.out());
        assertTrue(r.out().contains("naive 4-fold repetition would need: 5.0 KiB per token, 1.3 MiB"), r.out());
        assertFalse(r.out().isBlank());
    }

    @Test
    @SuppressWarnings("unchecked")
    void benchJsonHasLlamaBenchFieldsAndPhdColumns() {
        Result r = phd("bench", "-m", stories(), "-p", "8", "-n", "4", "-r", "2", "--phd-k", "1,3", "-o", "json", "-t", "1",
                "--warmup", "0.2");
        assertEquals(0, r.status(), r.err());
        // one line per test; the warm-up is repeated until 0.2 s have passed (the first one, cold, may take longer alone)
        List<String> warmups = r.err().lines().filter(l -> l.contains("warm-up:")).toList();
        assertEquals(4, warmups.size(), r.err());
        for (String line : warmups) {
            double ms = Double.parseDouble(line.replaceAll(".*, ([0-9.]+) ms$", "$1"));
            assertTrue(ms >= 200, line);
        }
        assertTrue(warmups.stream().anyMatch(l -> !l.contains(": 1 run,")), r.err());
        List<Object> rows = (List<Object>) Json.parse(r.out());
        assertEquals(4, rows.size(), "pp and tg for K=1 and K=3");
        for (Object o : rows) {
            Map<String, Object> m = (Map<String, Object>) o;
            for (String key : List.of("model_filename", "model_type", "model_size", "model_n_params", "n_threads", "n_batch", "n_prompt", "n_gen",
                    "avg_ns", "stddev_ns", "avg_ts", "stddev_ts", "samples_ts", "phd_k", "phd_variant", "kv_bytes")) {
                assertTrue(m.containsKey(key), key + " missing in " + m);
            }
            assertEquals(2, ((List<?>) m.get("samples_ts")).size());
            assertTrue(((Number) m.get("avg_ts")).doubleValue() > 0);
        }
        assertEquals(3.0, ((Map<String, Object>) rows.get(3)).get("phd_k"));
        assertEquals(512.0, ((Map<String, Object>) rows.get(0)).get("n_batch"));
        assertEquals(2, phd("bench", "-m", stories(), "-o", "xml").status());
        assertEquals(2, phd("bench", "-m", stories(), "-b", "0").status());
        assertEquals(2, phd("bench", "-m", stories(), "-b", "4097").status());
        assertEquals(2, phd("bench", "-m", stories(), "-r", "0").status());
        assertEquals(2, phd("bench", "-m", stories(), "--warmup", "-1").status());
    }

    @Test
    @SuppressWarnings("unchecked")
    void benchBatchSizeIsReportedAsLlamaBenchDoes() {
        Result json = phd("bench", "-m", stories(), "-p", "8", "-n", "0", "-r", "1", "-t", "1", "--warmup", "0", "-b", "3", "-o", "json");
        assertEquals(0, json.status(), json.err());
        assertEquals(3.0, ((Map<String, Object>) ((List<Object>) Json.parse(json.out())).get(0)).get("n_batch"));
        Result md = phd("bench", "-m", stories(), "-p", "8", "-n", "0", "-r", "1", "-t", "1", "--warmup", "0", "-b", "3");
        assertEquals(0, md.status(), md.err());
        List<String> lines = md.out().lines().toList();
        assertTrue(lines.get(0).contains("| threads | n_batch | K |"), md.out());
        assertTrue(lines.get(2).contains("| 1 | 3 | 1 |"), md.out());
        Result plain = phd("bench", "-m", stories(), "-p", "8", "-n", "0", "-r", "1", "-t", "1", "--warmup", "0");
        assertFalse(plain.out().contains("n_batch"), "the default batch size is not a column: " + plain.out());
        Result csv = phd("bench", "-m", stories(), "-p", "8", "-n", "0", "-r", "1", "-t", "1", "--warmup", "0", "-b", "5", "-o", "csv");
        assertTrue(csv.out().lines().toList().get(1).startsWith("stories260K.gguf,") && csv.out().contains(",1,5,1,vanilla,"), csv.out());
    }

    @Test
    @SuppressWarnings("unchecked")
    void benchProbeReportsReadBandwidthAroundEachGenerationRun() {
        Result r = phd("bench", "-m", stories(), "-p", "8", "-n", "4", "-r", "2", "-o", "json", "-t", "1", "--warmup", "0", "--probe");
        assertEquals(0, r.status(), r.err());
        assertEquals(2, r.err().lines().filter(l -> l.contains("read bandwidth")).count(), r.err());
        List<Object> rows = (List<Object>) Json.parse(r.out());
        Map<String, Object> pp = (Map<String, Object>) rows.get(0), tg = (Map<String, Object>) rows.get(1);
        assertFalse(pp.containsKey("read_gbps"), "prompt processing is not probed: " + pp);
        List<Number> reads = (List<Number>) tg.get("read_gbps_samples");
        assertEquals(2, reads.size());
        double read = ((Number) tg.get("read_gbps")).doubleValue();
        assertTrue(read > 0.1 && read < 10_000, "GB/s " + read);
        double weights = ((Number) tg.get("weights_gbps")).doubleValue();
        double fraction = ((Number) tg.get("weights_of_read")).doubleValue();
        // the mean of per-run fractions equals the ratio of the means only roughly: within 2x
        assertTrue(fraction > 0.5 * weights / read && fraction < 2 * weights / read, fraction + " vs " + weights + " / " + read);

        Result md = phd("bench", "-m", stories(), "-p", "8", "-n", "4", "-r", "1", "-t", "1", "--warmup", "0", "--probe");
        assertEquals(0, md.status(), md.err());
        assertTrue(md.out().lines().findFirst().orElseThrow().endsWith("| read GB/s | of read |"), md.out());
        assertTrue(md.out().lines().filter(l -> l.contains("tg4")).allMatch(l -> l.matches(".*\\| [0-9.]+ ± [0-9.]+ \\| [0-9]+ ± [0-9]+ % \\|")),
                md.out());
    }

    @Test
    void sweepWritesTheTableTheCsvAndTwoCharts(@TempDir Path dir) throws Exception {
        Result r = phd("sweep", "-m", stories(), "-k", "1,2", "-p", "8", "-n", "2", "-r", "1", "-t", "1", "-o", dir.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals(2 + 6, r.out().strip().lines().count(), r.out()); // header, rule, 3 variants x 2 K
        assertEquals(1 + 12, Files.readAllLines(dir.resolve("sweep.csv")).size(), "decode and prefill for 6 points");
        assertTrue(Files.readString(dir.resolve("decode.svg")).contains("PHD-CSWA-K-16-32"));
        assertTrue(Files.exists(dir.resolve("prefill.svg")));
    }

    private static Map<String, Object> fixture(int index) {
        try {
            return Json.lines(SharedFiles.file("fixtures/stories260K/stories260K.jsonl")).get(index);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
