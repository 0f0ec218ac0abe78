package phd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import phd4j.Model;
import phd4j.chat.ChatTemplate;
import phd4j.serve.Server;

/** phd loadgen --duration against an in-process server: responses counted, and a refused one counted as lost. */
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

    @Test
    void refusedResponsesAreLost() throws Exception {
        int[] lost = new int[1];
        String out = soak("a key loadgen does not send", lost);
        assertTrue(lost[0] > 0, out);
        assertTrue(out.contains("x HTTP 401"), out);
    }
}
