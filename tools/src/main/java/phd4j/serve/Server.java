package phd4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import phd4j.Generation;
import phd4j.GenerationResult;
import phd4j.Model;
import phd4j.Session;
import phd4j.TokenListener;
import phd4j.chat.ChatTemplate;
import phd4j.chat.ChatTemplateException;

/**
 * {@code phd serve}: the OpenAI HTTP API (chat completions, completions, models) and
 * llama-server's health, tokenize and detokenize, on the JDK's HTTP server with a virtual thread
 * per connection. Each request generates in a slot of its own ({@link Slots}), on the one decode
 * thread ({@link Scheduler}) that advances all slots' generations together, a forward pass per
 * token for all of them; the request's own thread streams the pieces ({@link Pieces}). A streaming client that
 * goes away stops its generation at the next token.
 */
public final class Server implements AutoCloseable {
    /** Bodies larger than this are refused with 413 and not kept. */
    static final int MAX_BODY = 8 << 20;

    /** How much of a refused body is read and dropped so the client gets its 413 (see tooLarge). */
    private static final long DRAIN_LIMIT = 64L << 20;

    /** Strict: a body with anything after its JSON value ("{...} junk") is malformed, not the value. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final HttpServer http;
    private final String apiKey;
    private final PrintWriter log;
    private final boolean verbose;
    private volatile Loaded loaded; // null while the model loads: /health answers 503
    private static volatile boolean made; // a server exists: the JDK server's time limits are fixed

    /**
     * Closes the connections of clients that do not send a whole request in time: one that has
     * sent nothing for {@code min(seconds, 30)} s (30 s: the JDK's idle interval, which also
     * bounds a kept-alive connection between requests), and one whose request line, headers and
     * body are not all in {@code seconds} s after its first byte (whether it stopped mid-request
     * or drips it). The time to generate and stream a response is not bounded. The JDK's server
     * reads these settings once per JVM, when its first server is made: returns false, changing
     * nothing, when that has happened (only where servers share a JVM, as in tests).
     */
    public static boolean limitRequestTime(int seconds) {
        if (seconds < 1) throw new IllegalArgumentException("a request time limit must be >= 1 s, not " + seconds);
        if (made) return false;
        System.setProperty("sun.net.httpserver.maxReqTime", Integer.toString(seconds));
        // how often silent new connections are looked at (the JDK's default is every 10 s)
        System.setProperty("sun.net.httpserver.clockTick", "1000");
        return true;
    }

    /** What the handlers need once the model is there. */
    record Loaded(Model model, String modelId, ChatTemplate template, Slots slots, Scheduler scheduler) {}

    public Server(String host, int port, String apiKey, PrintWriter log, boolean verbose) throws IOException {
        this.apiKey = apiKey;
        this.log = log;
        this.verbose = verbose;
        made = true;
        http = HttpServer.create(new InetSocketAddress(host, port), 256);
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.createContext("/", this::handle);
        http.start();
    }

    /** The port it listens on (the one asked for, or the one the system chose for 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** Starts answering model requests; until then they get 503. */
    public void ready(Model model, String modelId, ChatTemplate template, int slots, int contextLength) {
        ready(model, modelId, template, slots, contextLength, Scheduler.DEFAULT_PROMPT_CHUNK, Scheduler.DEFAULT_PROMPT_BURST);
    }

    /**
     * As {@link #ready(Model, String, ChatTemplate, int, int)}, reading prompts {@code promptChunk}
     * tokens per decode step, and {@code promptBurst} (if larger) while more requests wait to
     * start than are generating.
     */
    public void ready(Model model, String modelId, ChatTemplate template, int slots, int contextLength, int promptChunk, int promptBurst) {
        loaded = new Loaded(model, modelId, template, new Slots(model, slots, contextLength, 4 * slots),
                new Scheduler(model, slots, promptChunk, promptBurst));
    }

    @Override
    public void close() {
        http.stop(0);
        Loaded l = loaded;
        if (l != null) l.scheduler().close();
    }

    private void handle(HttpExchange ex) {
        long t0 = System.nanoTime();
        String route = ex.getRequestMethod() + " " + ex.getRequestURI().getPath();
        int[] tokens = new int[2];
        int status;
        try (ex) {
            try {
                status = route(ex, route, tokens);
            } catch (ApiException e) {
                status = error(ex, e);
            } catch (JsonProcessingException e) {
                status = error(ex, ApiException.badRequest(null, "malformed JSON: " + e.getOriginalMessage()));
            } catch (IOException e) { // the client went away
                status = 499;
            } catch (RuntimeException e) {
                if (verbose) e.printStackTrace(log);
                status = error(ex, ApiException.status(500, "server_error", e.toString()));
            }
        }
        synchronized (log) {
            log.printf("%s %d prompt=%d completion=%d %.0f ms%n", route, status, tokens[0], tokens[1], (System.nanoTime() - t0) / 1e6);
            log.flush();
        }
    }

    private int route(HttpExchange ex, String route, int[] tokens) throws IOException {
        if (route.equals("GET /health")) {
            if (loaded == null) throw new ApiException(503, "unavailable_error", null, "Loading model", 1);
            return send(ex, 200, JSON.createObjectNode().put("status", "ok"));
        }
        if (apiKey != null && !("Bearer " + apiKey).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            throw ApiException.status(401, "authentication_error", "Invalid API Key");
        }
        Loaded l = loaded;
        boolean known = switch (route) {
            case "GET /v1/models", "GET /models", "POST /v1/chat/completions", "POST /chat/completions",
                 "POST /v1/completions", "POST /completions", "POST /tokenize", "POST /detokenize" -> true;
            default -> false;
        };
        if (!known) throw ApiException.status(404, "not_found_error", "no route " + route);
        if (l == null) throw new ApiException(503, "unavailable_error", null, "Loading model", 1);
        return switch (route) {
            case "GET /v1/models", "GET /models" -> {
                ObjectNode m = JSON.createObjectNode().put("id", l.modelId()).put("object", "model").put("created", now()).put("owned_by", "phd4j");
                ObjectNode list = JSON.createObjectNode().put("object", "list");
                list.putArray("data").add(m);
                yield send(ex, 200, list);
            }
            case "POST /tokenize" -> {
                JsonNode b = body(ex);
                if (!b.path("content").isTextual()) throw ApiException.badRequest("content", "'content' must be a string");
                int[] ids = l.model().tokenizer().encode(b.get("content").asText(), b.path("add_special").asBoolean(false), true);
                ObjectNode r = JSON.createObjectNode();
                ArrayNode a = r.putArray("tokens");
                for (int id : ids) a.add(id);
                yield send(ex, 200, r);
            }
            case "POST /detokenize" -> {
                JsonNode b = body(ex);
                JsonNode t = b.get("tokens");
                if (t == null || !t.isArray()) throw ApiException.badRequest("tokens", "'tokens' must be an array of token ids");
                int vocab = l.model().tokenizer().vocabSize();
                int[] ids = new int[t.size()];
                for (int i = 0; i < ids.length; i++) {
                    if (!t.get(i).canConvertToInt() || t.get(i).asInt() < 0 || t.get(i).asInt() >= vocab) {
                        throw ApiException.badRequest("tokens", "tokens[" + i + "] is not a token id in 0.." + (vocab - 1));
                    }
                    ids[i] = t.get(i).asInt();
                }
                yield send(ex, 200, JSON.createObjectNode().put("content", l.model().tokenizer().decode(ids)));
            }
            default -> complete(ex, l, route.endsWith("chat/completions"), tokens);
        };
    }

    /** A chat completion or a completion, streamed or whole. */
    private int complete(HttpExchange ex, Loaded l, boolean chat, int[] tokens) throws IOException {
        CompletionRequest req = CompletionRequest.parse(body(ex), chat, System.nanoTime());
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        long created = now();
        Session session;
        try {
            session = l.slots().acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "server_busy", null, "interrupted while waiting for a slot", 1);
        }
        try {
            Sse sse = req.stream() ? new Sse(ex, chat ? roleChunk(id, created, l.modelId()) : null) : null;
            Pieces pieces = new Pieces(sse != null, req.topLogprobs());
            LogprobsJson logprobs = new LogprobsJson(l.model().tokenizer());
            CompletableFuture<GenerationResult> done;
            try {
                done = l.scheduler().submit(start(l, session, req, chat, pieces));
            } catch (IllegalArgumentException e) { // nothing is sent before the prompt is checked
                throw e.getMessage() != null && e.getMessage().contains("context")
                        ? ApiException.status(413, "invalid_request_error", e.getMessage())
                        : ApiException.badRequest(null, e.getMessage());
            } catch (ChatTemplateException e) {
                throw ApiException.badRequest("messages", e.getMessage());
            }
            done.whenComplete((r, e) -> pieces.end());
            try {
                for (Pieces.Piece piece = pieces.take(); piece != Pieces.END; piece = pieces.take()) {
                    if (pieces.isClientGone()) continue;
                    ObjectNode chunk = chunk(id, created, l.modelId(), chat);
                    ObjectNode choice = (ObjectNode) chunk.withArray("choices").get(0);
                    if (chat) choice.putObject("delta").put("content", piece.text());
                    else choice.put("text", piece.text());
                    if (piece.logprob() != null) choice.set("logprobs", chat ? logprobs.chat(List.of(piece)) : logprobs.completion(List.of(piece)));
                    if (!sse.send(chunk)) pieces.clientGone();
                }
            } catch (InterruptedException e) {
                pieces.clientGone();
                done.exceptionally(x -> null).join(); // the session is free only once the decode thread is done with it
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while streaming", e);
            }
            GenerationResult r;
            try {
                r = done.join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException re) throw re;
                throw e;
            }
            tokens[0] = session.position() - r.decodedTokens(); // the whole prompt, whether evaluated now or found in the cache
            tokens[1] = r.tokens().length;
            String finish = r.stopReason() == GenerationResult.StopReason.MAX_TOKENS ? "length" : "stop";
            ObjectNode usage = JSON.createObjectNode().put("prompt_tokens", tokens[0]).put("completion_tokens", tokens[1])
                    .put("total_tokens", tokens[0] + tokens[1]);
            if (sse != null) {
                if (r.stopReason() == GenerationResult.StopReason.LISTENER) return 499;
                ObjectNode last = chunk(id, created, l.modelId(), chat);
                ObjectNode choice = (ObjectNode) last.withArray("choices").get(0);
                if (chat) choice.putObject("delta");
                else choice.put("text", "");
                choice.put("finish_reason", finish);
                sse.send(last);
                if (req.includeUsage()) {
                    ObjectNode u = chunk(id, created, l.modelId(), chat);
                    u.putArray("choices");
                    u.set("usage", usage);
                    sse.send(u);
                }
                sse.done();
                return 200;
            }
            ObjectNode resp = JSON.createObjectNode().put("id", id).put("object", chat ? "chat.completion" : "text_completion")
                    .put("created", created).put("model", l.modelId());
            ObjectNode choice = resp.putArray("choices").addObject().put("index", 0);
            if (chat) choice.putObject("message").put("role", "assistant").put("content", r.text());
            else choice.put("text", r.text());
            if (req.topLogprobs() < 0) choice.putNull("logprobs");
            else choice.set("logprobs", chat ? logprobs.chat(pieces.whole()) : logprobs.completion(pieces.whole()));
            choice.put("finish_reason", finish);
            resp.set("usage", usage);
            return send(ex, 200, resp);
        } finally {
            l.slots().release(session);
        }
    }

    /** The request's generation in its session, checked (a bad prompt throws here) but not started. */
    private static Generation start(Loaded l, Session session, CompletionRequest req, boolean chat, TokenListener listener) {
        int ctx = l.slots().contextLength;
        if (chat) return session.startChat(l.template(), req.messages(), req.params(ctx), listener);
        int[] prompt = l.model().tokenizer().encode(req.prompt(), true, false);
        if (prompt.length == 0) throw ApiException.badRequest("prompt", "'prompt' has no tokens");
        session.reset(); // a completion continues nothing
        return session.start(prompt, req.params(Math.max(1, ctx - prompt.length)), listener);
    }

    /** The chat stream's first chunk names the role, as OpenAI's does. */
    private static ObjectNode roleChunk(String id, long created, String model) {
        ObjectNode first = chunk(id, created, model, true);
        ((ObjectNode) first.withArray("choices").get(0)).putObject("delta").put("role", "assistant").put("content", "");
        return first;
    }

    private static ObjectNode chunk(String id, long created, String model, boolean chat) {
        ObjectNode c = JSON.createObjectNode().put("id", id).put("object", chat ? "chat.completion.chunk" : "text_completion")
                .put("created", created).put("model", model);
        c.putArray("choices").addObject().put("index", 0).putNull("finish_reason");
        return c;
    }

    private static JsonNode body(HttpExchange ex) throws IOException {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            if (length != null && length.matches("\\d+") && Long.parseLong(length) > MAX_BODY) {
                throw tooLarge(in);
            }
            bytes = in.readNBytes(MAX_BODY + 1);
            if (bytes.length > MAX_BODY) throw tooLarge(in);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw ApiException.badRequest(null, "the body is not valid UTF-8");
        }
        if (text.isBlank()) throw ApiException.badRequest(null, "the body is empty; a JSON object is expected");
        return JSON.readTree(text);
    }

    /**
     * The 413 for a body over {@link #MAX_BODY}, after reading what the client still sends of it
     * (up to {@link #DRAIN_LIMIT}): a connection closed with unread bytes is reset, and a reset
     * can discard the answer before the client, still busy sending, reads it.
     */
    private static ApiException tooLarge(InputStream in) throws IOException {
        for (long left = DRAIN_LIMIT; left > 0; ) {
            long n = in.skip(left);
            if (n <= 0 && in.read() < 0) break;
            left -= Math.max(n, 1);
        }
        return ApiException.status(413, "invalid_request_error", "the body is larger than " + (MAX_BODY >> 20) + " MiB");
    }

    private static int send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
        return status;
    }

    private static int error(HttpExchange ex, ApiException e) {
        ObjectNode err = JSON.createObjectNode();
        ObjectNode o = err.putObject("error").put("message", e.getMessage()).put("type", e.type).put("code", e.status);
        if (e.param != null) o.put("param", e.param);
        else o.putNull("param");
        if (e.retryAfterSeconds > 0) ex.getResponseHeaders().set("Retry-After", Integer.toString(e.retryAfterSeconds));
        try {
            return send(ex, e.status, err);
        } catch (IOException gone) {
            return e.status;
        }
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }

    /**
     * Server-sent events: one {@code data:} line per JSON chunk, {@code data: [DONE]} last. The
     * headers (and the opening chunk) go with the first chunk, so that an error found before any
     * token can still be a plain error response.
     */
    private static final class Sse {
        private final HttpExchange ex;
        private JsonNode opening;
        private OutputStream out;
        private boolean broken;

        Sse(HttpExchange ex, JsonNode opening) {
            this.ex = ex;
            this.opening = opening;
        }

        /** Sends a chunk; false once the client has gone (generation then stops). */
        boolean send(JsonNode chunk) {
            try {
                write("data: " + JSON.writeValueAsString(chunk) + "\n\n");
                return true;
            } catch (IOException e) {
                broken = true;
                return false;
            }
        }

        void done() throws IOException {
            write("data: [DONE]\n\n");
        }

        private void write(String s) throws IOException {
            if (broken) throw new IOException("client gone");
            if (out == null) {
                ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
                ex.getResponseHeaders().set("Cache-Control", "no-cache");
                ex.sendResponseHeaders(200, 0);
                out = ex.getResponseBody();
                if (opening != null) out.write(("data: " + JSON.writeValueAsString(opening) + "\n\n").getBytes(StandardCharsets.UTF_8));
                opening = null;
            }
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }
}
