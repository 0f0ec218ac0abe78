package phd4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * phd serve against clients that misbehave: each gets a clear 4xx (or just its connection closed,
 * when it is the one that went away), and after each the server still answers a health check and
 * a completion.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostileInputTest {
    static final StringWriter log = new StringWriter();
    static ServerTest.Running running;

    @BeforeAll
    static void up() throws Exception {
        running = ServerTest.start(new PrintWriter(log, true));
    }

    @AfterAll
    static void down() {
        running.close();
    }

    @AfterEach
    void stillServing() throws Exception {
        assertEquals(200, call("GET", "/health", null).statusCode());
        HttpResponse<String> r = completion("It is");
        assertEquals(200, r.statusCode(), r.body() + "\nserver log:\n" + log);
    }

    /**
     * A short completion as a well-behaved client asks for it: after a burst of dropped streams the
     * slots and the queue may still be busy with them for a moment, and a 503 says when to retry.
     */
    static HttpResponse<String> completion(String prompt) throws Exception {
        for (int attempt = 0; ; attempt++) {
            HttpResponse<String> r = call("POST", "/v1/completions", "{\"prompt\":\"" + prompt + "\",\"max_tokens\":2,\"temperature\":0}");
            if (r.statusCode() != 503 || attempt == 10) return r;
            Thread.sleep(1000L * Integer.parseInt(r.headers().firstValue("Retry-After").orElseThrow()));
        }
    }

    static HttpResponse<String> call(String method, String path, String body) throws Exception {
        return ServerTest.call(running.server(), method, path, body, "k");
    }

    static String param(String path, String body) throws Exception {
        JsonNode p = ServerTest.error(call("POST", path, body), 400).get("param");
        return p.isNull() ? null : p.asText();
    }

    static final String CHAT = "/v1/chat/completions";
    static final String USER = "{\"role\":\"user\",\"content\":\"hi\"}";

    @Test
    void malformedJson() throws Exception {
        for (String body : List.of("{\"messages\":", "{\"prompt\":\"x\",}", "{prompt: 'x'}", "nul", "{\"prompt\":\"x\"} trailing",
                "[".repeat(5000) + "]".repeat(5000), "{\"prompt\":\"x\u0001\"}")) {
            HttpResponse<String> r = call("POST", "/v1/completions", body);
            assertEquals(400, r.statusCode(), body.substring(0, Math.min(40, body.length())) + ": " + r.body());
        }
        assertEquals(null, param("/v1/completions", "[1, 2]"), "not an object");
        assertEquals(null, param("/v1/completions", "\"a string\""));
    }

    @Test
    void wrongTypesNameTheField() throws Exception {
        String[][] cases = {
                {"{\"messages\":\"hi\"}", "messages"},
                {"{\"messages\":[\"hi\"]}", "messages[0]"},
                {"{\"messages\":[{\"role\":1,\"content\":\"hi\"}]}", "messages[0].role"},
                {"{\"messages\":[{\"role\":\"user\",\"content\":42}]}", "messages[0].content"},
                {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}", "messages[0].content"},
                {"{\"messages\":[" + USER + "],\"max_tokens\":\"5\"}", "max_tokens"},
                {"{\"messages\":[" + USER + "],\"max_tokens\":2.5}", "max_tokens"},
                {"{\"messages\":[" + USER + "],\"max_tokens\":1e12}", "max_tokens"},
                {"{\"messages\":[" + USER + "],\"temperature\":true}", "temperature"},
                {"{\"messages\":[" + USER + "],\"top_k\":-3}", "top_k"},
                {"{\"messages\":[" + USER + "],\"seed\":1.5}", "seed"},
                {"{\"messages\":[" + USER + "],\"stream\":\"yes\"}", "stream"},
                {"{\"messages\":[" + USER + "],\"stop\":5}", "stop"},
                {"{\"messages\":[" + USER + "],\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", "stop"},
                {"{\"messages\":[" + USER + "],\"stream_options\":{\"include_usage\":1}}", "include_usage"},
        };
        for (String[] c : cases) assertEquals(c[1], param(CHAT, c[0]), c[0]);
        assertEquals("prompt", param("/v1/completions", "{\"prompt\":[1,2,3]}"));
    }

    @Test
    void nMustBeOne() throws Exception {
        for (int n : new int[] {0, -1, 2}) {
            JsonNode e = ServerTest.error(call("POST", CHAT, "{\"messages\":[" + USER + "],\"n\":" + n + "}"), 400);
            assertEquals("n", e.get("param").asText());
        }
        assertEquals(200, call("POST", CHAT, "{\"messages\":[" + USER + "],\"n\":1,\"max_tokens\":1}").statusCode());
    }

    @Test
    void hugeMaxTokensStopsAtTheContext() throws Exception {
        HttpResponse<String> r = call("POST", "/v1/completions", "{\"prompt\":\"It is\",\"max_tokens\":" + Integer.MAX_VALUE
                + ",\"temperature\":0}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode usage = ServerTest.JSON.readTree(r.body()).get("usage");
        assertTrue(usage.get("total_tokens").asInt() <= 128, "no more than the slot's 128-token context: " + usage);
    }

    @Test
    void invalidUnicodeInContent() throws Exception {
        // bytes that are not UTF-8 (a lone continuation byte, a truncated sequence, an overlong form)
        for (byte[] bad : new byte[][] {{(byte) 0x80}, {(byte) 0xc3}, {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80}}) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.writeBytes("{\"messages\":[{\"role\":\"user\",\"content\":\"a".getBytes(StandardCharsets.UTF_8));
            body.writeBytes(bad);
            body.writeBytes("b\"}]}".getBytes(StandardCharsets.UTF_8));
            String response = raw(request("POST", CHAT, body.toByteArray()));
            assertTrue(response.startsWith("HTTP/1.1 400") && response.contains("UTF-8"), response);
        }
        // valid JSON escapes of a lone surrogate: no Unicode text either
        assertEquals("messages[0].content", param(CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\\ud800b\"}]}"));
        assertEquals("prompt", param("/v1/completions", "{\"prompt\":\"\\udfff\"}"));
        assertEquals(200, call("POST", "/v1/completions", "{\"prompt\":\"\\ud83d\\ude00\",\"max_tokens\":1}").statusCode(), "a pair is fine");
    }

    @Test
    void tenMegabyteBodies() throws Exception {
        byte[] big = new byte[10 << 20];
        java.util.Arrays.fill(big, (byte) ' ');
        // with a Content-Length: refused before it is read
        String declared = raw(request("POST", CHAT, big));
        assertTrue(declared.startsWith("HTTP/1.1 413"), declared);
        // chunked, no length: read up to the limit, then refused
        ByteArrayOutputStream chunked = new ByteArrayOutputStream();
        chunked.writeBytes(("POST " + CHAT + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        for (int off = 0; off < big.length; off += 1 << 16) {
            chunked.writeBytes((Integer.toHexString(1 << 16) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            chunked.write(big, off, 1 << 16);
            chunked.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        chunked.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        String streamed = raw(chunked.toByteArray());
        assertTrue(streamed.startsWith("HTTP/1.1 413"), streamed);
    }

    @Test
    void slowClientsHoldUpNoOne() throws Exception {
        // one client drips its request a byte at a time over about three seconds ...
        byte[] slow = request("POST", "/v1/completions", "{\"prompt\":\"It is\",\"max_tokens\":3,\"temperature\":0}".getBytes(StandardCharsets.UTF_8));
        CompletableFuture<String> dripped = CompletableFuture.supplyAsync(() -> {
            try (Socket s = new Socket("127.0.0.1", running.server().port())) {
                OutputStream out = s.getOutputStream();
                for (byte b : slow) {
                    out.write(b);
                    out.flush();
                    Thread.sleep(3000 / slow.length + 1);
                }
                return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException | InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        // ... another opens a stream and does not read it for a while ...
        Socket lazy = new Socket("127.0.0.1", running.server().port());
        lazy.getOutputStream().write(request("POST", "/v1/completions",
                "{\"prompt\":\"It is\",\"max_tokens\":60,\"stream\":true}".getBytes(StandardCharsets.UTF_8)));
        // ... while the others are answered meanwhile
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            assertEquals(200, call("POST", "/v1/completions", "{\"prompt\":\"Once\",\"max_tokens\":2}").statusCode());
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "a quick request waited on the slow ones");
        }
        assertTrue(!dripped.isDone(), "the drip should still be going: the test proves nothing otherwise");
        String answer = dripped.get(30, TimeUnit.SECONDS);
        assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
        try (lazy) {
            Thread.sleep(500);
            String stream = new String(lazy.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(stream.startsWith("HTTP/1.1 200") && stream.contains("data: [DONE]"), stream);
        }
    }

    @Test
    void aThousandConnectionsOpenedAndDropped() throws Exception {
        byte[] stream = request("POST", "/v1/completions", "{\"prompt\":\"It is\",\"max_tokens\":50,\"stream\":true}".getBytes(StandardCharsets.UTF_8));
        byte[] partial = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"prom".getBytes(StandardCharsets.US_ASCII);
        for (int batch = 0; batch < 10; batch++) {
            List<Socket> open = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                Socket s = new Socket("127.0.0.1", running.server().port());
                switch (i % 5) {
                    case 0 -> {} // nothing sent
                    case 1 -> s.getOutputStream().write("POST /v1/chat/comp".getBytes(StandardCharsets.US_ASCII)); // half a request line
                    case 2 -> s.getOutputStream().write(partial); // half a body
                    case 3 -> s.setSoLinger(true, 0); // closed with a reset
                    default -> { if (i % 25 == 4) s.getOutputStream().write(stream); } // a few streams, dropped unread
                }
                open.add(s);
            }
            for (Socket s : open) s.close();
        }
        // the dropped streams free their slots: two requests at once both get answered
        CompletableFuture<HttpResponse<String>> a = CompletableFuture.supplyAsync(() -> quietly("Once"));
        CompletableFuture<HttpResponse<String>> b = CompletableFuture.supplyAsync(() -> quietly("She"));
        assertEquals(200, a.get(30, TimeUnit.SECONDS).statusCode(), a.get().body() + "\nserver log:\n" + log);
        assertEquals(200, b.get(30, TimeUnit.SECONDS).statusCode(), b.get().body());
        assertTrue(log.toString().contains(" 499 "), "dropped streams are logged as 499:\n" + log);
    }

    private static HttpResponse<String> quietly(String prompt) {
        try {
            return completion(prompt);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    /** An HTTP/1.1 request with the test key and a Content-Length, closing the connection after. */
    static byte[] request(String method, String path, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((method + " " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\nConnection: close\r\nContent-Length: " + body.length
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(body);
        return out.toByteArray();
    }

    /**
     * Sends the bytes on a fresh connection while reading the answer (the server may answer, and
     * close, before it has read them all) and returns the answer as text.
     */
    static String raw(byte[] bytes) throws Exception {
        try (Socket s = new Socket("127.0.0.1", running.server().port())) {
            s.setSoTimeout(20_000);
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                try {
                    s.getOutputStream().write(bytes);
                } catch (IOException ignored) { // the server answered and closed first: what a too-large body may get
                }
            });
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            try {
                in.transferTo(got);
            } catch (IOException e) { // a reset after the answer
            }
            writing.get(20, TimeUnit.SECONDS);
            return got.toString(StandardCharsets.UTF_8);
        }
    }
}
