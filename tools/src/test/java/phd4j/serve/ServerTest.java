package phd4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import phd4j.Model;
import phd4j.chat.ChatTemplate;

/** phd serve over real HTTP on loopback: the OpenAI shapes, streaming, errors, slots. */
class ServerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
    static Running running;
    static Server server;
    static final StringWriter log = new StringWriter();
    static final HttpClient http = HttpClient.newHttpClient();

    /** A server and the model it serves. */
    record Running(Server server, Model model) implements AutoCloseable {
        @Override
        public void close() {
            server.close();
            model.close();
        }
    }

    /** A server on a free port with the shipped default model, 2 slots of 128 tokens, key "k". */
    static Running start(PrintWriter log) throws Exception {
        return start(log, "default.gguf");
    }

    /** The same with another shipped model. */
    static Running start(PrintWriter log, String model) throws Exception {
        Server s = new Server("127.0.0.1", 0, "k", log, false);
        Model m = Model.load(Path.of(System.getProperty("phd4j.root", ".."), "models", model), 1);
        s.ready(m, "default.gguf", ChatTemplate.parse(CHATML, "chatml"), 2, 128);
        return new Running(s, m);
    }

    @BeforeAll
    static void up() throws Exception {
        running = start(new PrintWriter(log, true));
        server = running.server();
    }

    @AfterAll
    static void down() {
        running.close();
    }

    static HttpResponse<String> call(String method, String path, String body, String key) throws Exception {
        return call(server, method, path, body, key);
    }

    static HttpResponse<String> call(Server server, String method, String path, String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        if (key != null) b.header("Authorization", "Bearer " + key);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return call("POST", path, body, "k");
    }

    static JsonNode error(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = JSON.readTree(r.body()).get("error");
        assertTrue(e != null && e.get("message").isTextual(), r.body());
        return e;
    }

    static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":6,\"temperature\":0";

    @Test
    void healthModelsAndAuth() throws Exception {
        assertEquals(200, call("GET", "/health", null, null).statusCode());
        JsonNode models = JSON.readTree(call("GET", "/v1/models", null, "k").body());
        assertEquals("default.gguf", models.at("/data/0/id").asText());
        error(call("GET", "/v1/models", null, null), 401);
        error(call("GET", "/v1/models", null, "wrong"), 401);
        error(call("GET", "/v2/nothing", null, "k"), 404);
    }

    @Test
    void chatWholeAndStreamedAgree() throws Exception {
        HttpResponse<String> whole = post("/v1/chat/completions", CHAT + "}");
        assertEquals(200, whole.statusCode(), whole.body());
        JsonNode w = JSON.readTree(whole.body());
        assertEquals("chat.completion", w.get("object").asText());
        assertEquals("length", w.at("/choices/0/finish_reason").asText());
        assertEquals(6, w.at("/usage/completion_tokens").asInt());
        String text = w.at("/choices/0/message/content").asText();

        HttpResponse<String> streamed = post("/v1/chat/completions", CHAT + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertEquals(200, streamed.statusCode());
        assertTrue(streamed.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        StringBuilder got = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        String[] events = streamed.body().split("\n\n");
        assertEquals("data: [DONE]", events[events.length - 1]);
        for (int i = 0; i < events.length - 1; i++) {
            JsonNode c = JSON.readTree(events[i].substring("data: ".length()));
            if (c.has("usage")) usage = c.get("usage");
            for (JsonNode ch : c.get("choices")) {
                got.append(ch.path("delta").path("content").asText(""));
                if (!ch.get("finish_reason").isNull()) finish = ch.get("finish_reason").asText();
            }
        }
        assertEquals(text, got.toString());
        assertEquals("length", finish);
        assertEquals(w.get("usage"), usage);
    }

    @Test
    void completionsTokenizeDetokenize() throws Exception {
        JsonNode c = JSON.readTree(post("/v1/completions", "{\"prompt\":\"It is a truth\",\"max_tokens\":4,\"temperature\":0}").body());
        assertEquals("text_completion", c.get("object").asText());
        assertEquals(4, c.at("/usage/completion_tokens").asInt());
        JsonNode ids = JSON.readTree(post("/tokenize", "{\"content\":\"It is a truth\"}").body()).get("tokens");
        JsonNode text = JSON.readTree(post("/detokenize", "{\"tokens\":" + ids + "}").body()).get("content");
        assertEquals("It is a truth", text.asText());
    }

    @Test
    void badRequestsNameTheField() throws Exception {
        assertEquals("messages", error(post("/v1/chat/completions", "{\"messages\":[]}"), 400).get("param").asText());
        assertEquals("temperature", error(post("/v1/chat/completions", CHAT.replace("\"temperature\":0", "\"temperature\":\"hot\"") + "}"), 400).get("param").asText());
        assertEquals("max_tokens", error(post("/v1/chat/completions", CHAT.replace("\"max_tokens\":6", "\"max_tokens\":-1") + "}"), 400).get("param").asText());
        assertEquals("n", error(post("/v1/chat/completions", CHAT + ",\"n\":3}"), 400).get("param").asText());
        assertEquals("logprobs", error(post("/v1/chat/completions", CHAT + ",\"logprobs\":\"yes\"}"), 400).get("param").asText());
        assertEquals("messages[0].role", error(post("/v1/chat/completions", "{\"messages\":[{\"content\":\"x\"}]}"), 400).get("param").asText());
        assertTrue(error(post("/v1/chat/completions", "{\"messages\":"), 400).get("message").asText().contains("malformed JSON"));
        assertTrue(error(post("/v1/chat/completions", ""), 400).get("message").asText().contains("empty"));
        error(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "word ".repeat(300) + "\"}]}"), 413);
        error(post("/v1/chat/completions", "x".repeat(Server.MAX_BODY + 10)), 413);
        // and the server still serves
        assertEquals(200, post("/v1/chat/completions", CHAT + "}").statusCode());
    }

    @Test
    void invalidUtf8IsABadRequest() throws Exception {
        byte[] body = "{\"prompt\":\"\u00ff\"}".getBytes(StandardCharsets.ISO_8859_1);
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
                .header("Authorization", "Bearer k").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        assertTrue(error(http.send(r, HttpResponse.BodyHandlers.ofString()), 400).get("message").asText().contains("UTF-8"));
    }

    @Test
    void concurrentRequestsAnswerAsTheyDoAlone() throws Exception {
        // the slots' generations share decode steps (Scheduler): greedy text must not depend on the company
        concurrentAsAlone(server);
        // a vanilla model's prompt chunks share the steps too
        Running vanilla = start(new PrintWriter(new StringWriter(), true), "default-vanilla.gguf");
        try (vanilla) {
            concurrentAsAlone(vanilla.server());
        }
    }

    private static void concurrentAsAlone(Server server) throws Exception {
        String[] prompts = {"It is a truth", "Once upon a time", "She said", "The house at Longbourn", "Enter a", "My dear"};
        String[] alone = new String[prompts.length];
        for (int i = 0; i < prompts.length; i++) alone[i] = completion(server, prompts[i]);
        java.util.List<java.util.concurrent.CompletableFuture<String>> together = new java.util.ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (String p : prompts) together.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return completion(server, p);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, pool));
            for (int i = 0; i < prompts.length; i++) assertEquals(alone[i], together.get(i).get(60, TimeUnit.SECONDS), prompts[i]);
        }
    }

    private static String completion(Server server, String prompt) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions")).header("Authorization", "Bearer k")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"" + prompt + "\",\"max_tokens\":12,\"temperature\":0}")).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).at("/choices/0/text").asText();
    }

    @Test
    void aClientThatGoesAwayFreesItsSlot() throws Exception {
        // both slots: streams that are dropped after their first bytes; then a request must still be served
        for (int i = 0; i < 4; i++) {
            HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
                    .header("Authorization", "Bearer k")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"It is\",\"max_tokens\":100000,\"stream\":true}")).build();
            HttpResponse<InputStream> s = http.send(r, HttpResponse.BodyHandlers.ofInputStream());
            s.body().read(new byte[64]);
            s.body().close();
        }
        HttpResponse<String> after = http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
                .header("Authorization", "Bearer k").POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"It is\",\"max_tokens\":2}")).build(),
                HttpResponse.BodyHandlers.ofString()).get(60, TimeUnit.SECONDS);
        assertEquals(200, after.statusCode(), after.body());
    }
}
