package phd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import phd4j.Model;
import phd4j.chat.ChatTemplate;
import phd4j.serve.Server;

/**
 * phd loadgen against an in-process server: --duration's responses counted, and a refused one
 * counted as lost; a round's row of figures.
 */
class LoadSoakTest {
    private static String soak(String apiKey, int[] lost) throws Exception {
        try (Server server = new Server("127.0.0.1", 0, apiKey, new PrintWriter(new StringWriter(), true), false);
             Model model = Model.load(Path.of(System.getProperty("phd4j.root", ".."), "models", "default.gguf"), 1)) {
            server.ready(model, "default.gguf", ChatTemplate.parse("{{ messages[0].content }}", "plain"), 2, 128);
            StringWriter out = new StringWriter();
            lost[0] = new LoadSoak("http://127.0.0.1:" + server.port(), "Once upon a time", 6)
                    .run(3, 2, 1, ProcessHandle.current().pid(), new PrintWriter(out, true));
            return out.toString();
        }
    }

    @Test
    void checkedResponsesAndMemory() throws Exception {
        int[] lost = new int[1];
        String out = soak(null, lost);
        assertEquals(0, lost[0], out);
        assertTrue(out.matches("(?s).*clients 3, [0-9.]+ s: [1-9][0-9]* responses complete, 0 lost.*"), out);
        assertTrue(out.contains("ttft ms: p50"), out);
        assertTrue(out.matches("(?s).*server rss MiB: first [1-9].*"), out);
    }

    /** A round's row: every client's tokens, and gaps between tokens no larger than their maximum. */
    @Test
    void roundsReportThroughputLatencyAndGaps() throws Exception {
        try (Server server = new Server("127.0.0.1", 0, null, new PrintWriter(new StringWriter(), true), false);
             Model model = Model.load(Path.of(System.getProperty("phd4j.root", ".."), "models", "default.gguf"), 1)) {
            server.ready(model, "default.gguf", ChatTemplate.parse("{{ messages[0].content }}", "plain"), 2, 128);
            CliTest.Result r = CliTest.phd("loadgen", "--url", "http://127.0.0.1:" + server.port(), "-c", "2", "-n", "6",
                    "--extra", "{\"ignore_eos\":true}");
            assertEquals(0, r.status(), r.err());
            List<String> lines = r.out().strip().lines().toList();
            assertEquals("clients  tokens  wall_s  agg_tok/s  per_client_tok/s  ttft_p50_ms  ttft_p99_ms  gap_p99_ms  gap_max_ms", lines.get(0));
            String[] row = lines.get(1).strip().split("\\s+");
            assertEquals(9, row.length, lines.get(1));
            assertEquals("2", row[0]);
            assertTrue(Integer.parseInt(row[1]) <= 12 && Integer.parseInt(row[1]) >= 2, "tokens of the two streams: " + lines.get(1));
            double gap99 = Double.parseDouble(row[7]), gapMax = Double.parseDouble(row[8]);
            assertTrue(gap99 >= 0 && gap99 <= gapMax, lines.get(1));
        }
    }

    @Test
    void refusedResponsesAreLost() throws Exception {
        int[] lost = new int[1];
        String out = soak("a key loadgen does not send", lost);
        assertTrue(lost[0] > 0, out);
        assertTrue(out.contains("x HTTP 401"), out);
    }
}
