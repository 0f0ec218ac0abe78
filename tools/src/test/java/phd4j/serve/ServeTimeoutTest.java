package phd4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code phd serve --timeout 2} in a JVM of its own (the JDK's HTTP server reads its time limits
 * once per JVM): a client that connects and sends nothing, one that stops in its request line, and
 * one that stops in its body are each closed after about 2 s, while the server goes on answering.
 * Without the limit the last two would hold their connections for as long as they stay open.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServeTimeoutTest {
    private static final int TIMEOUT_S = 2;

    @Test
    void silentAndStalledClientsAreClosed() throws Exception {
        Path model = Path.of(System.getProperty("phd4j.root", ".."), "models", "default.gguf");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "phd4j.cli.Main", "serve", "-m", model.toString(), "--port", "0", "-c", "64", "-t", "1", "--timeout", Integer.toString(TIMEOUT_S));
        Process server = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String base = "http://127.0.0.1:" + port(server);
            List<CompletableFuture<Double>> closed = new ArrayList<>();
            for (String sent : List.of("", "POST /v1/compl", "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"prompt\":")) {
                closed.add(CompletableFuture.supplyAsync(() -> secondsUntilClosed(base, sent)));
            }
            for (CompletableFuture<Double> c : closed) {
                double s = c.join();
                assertTrue(s >= TIMEOUT_S - 0.5 && s < TIMEOUT_S + 4, "closed after " + s + " s, the limit is " + TIMEOUT_S + " s");
            }
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Once\",\"max_tokens\":3,\"temperature\":0}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
        } finally {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The port from the server's "serve: ... on http://127.0.0.1:PORT" line. */
    private static int port(Process server) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        Pattern ready = Pattern.compile("serve: .* on http://127\\.0\\.0\\.1:(\\d+) ");
        StringBuilder seen = new StringBuilder();
        for (String line; (line = out.readLine()) != null; ) {
            seen.append(line).append('\n');
            Matcher m = ready.matcher(line);
            if (m.find()) {
                Thread.ofVirtual().start(() -> out.lines().forEach(l -> {})); // keep its output from filling the pipe
                return Integer.parseInt(m.group(1));
            }
        }
        throw new AssertionError("the server ended before it was ready:\n" + seen);
    }

    /** Connects, sends {@code sent} and then nothing; the seconds until the server closed the connection. */
    private static double secondsUntilClosed(String base, String sent) {
        URI uri = URI.create(base);
        try (Socket s = new Socket(uri.getHost(), uri.getPort())) {
            s.setSoTimeout((TIMEOUT_S + 10) * 1000);
            long t0 = System.nanoTime();
            OutputStream out = s.getOutputStream();
            out.write(sent.getBytes(StandardCharsets.UTF_8));
            out.flush();
            try {
                while (s.getInputStream().read() >= 0) { // a server that answers something first is fine: it must still close
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("not closed within " + (TIMEOUT_S + 10) + " s after sending " + sent.length() + " bytes");
            } catch (IOException reset) { // closed with unread data: a reset, as good as a close
            }
            return (System.nanoTime() - t0) / 1e9;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
