package phd4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's official Node client against phd serve (scripts/openai-client/test.mjs: models, chat
 * whole and streamed with usage, completions, errors). Needs node and the package installed there
 * ({@code npm install} in that folder; .ci/run does it); skipped without them.
 */
class OpenAiClientTest {
    @Test
    void officialClientPasses() throws Exception {
        Path dir = Path.of(System.getProperty("phd4j.root", ".."), "scripts", "openai-client");
        Assumptions.assumeTrue(Files.isDirectory(dir.resolve("node_modules/openai")), "openai npm package not installed in " + dir);
        StringWriter log = new StringWriter();
        try (ServerTest.Running running = ServerTest.start(new PrintWriter(log, true))) {
            Process p = new ProcessBuilder("node", "test.mjs", "http://127.0.0.1:" + running.server().port(), "k")
                    .directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(true, p.waitFor(120, TimeUnit.SECONDS), "node did not finish");
            assertEquals(0, p.exitValue(), out + "\nserver log:\n" + log);
        }
    }
}
