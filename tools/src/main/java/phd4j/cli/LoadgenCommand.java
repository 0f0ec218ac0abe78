package phd4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code phd loadgen}: a small load generator for {@code phd serve} (or any OpenAI-compatible
 * server). For each client count it starts that many streaming /v1/completions requests at once,
 * each asking for the same number of tokens, and reports the aggregate generation speed (tokens
 * of all clients over the wall time from the first token to the last) beside the time to first
 * token (p50 and p99 over the round's clients): the figure batched decoding is about. Tokens are
 * counted from each stream's usage chunk ({@code stream_options.include_usage}, which llama-server
 * sends too), not from its chunks, since a chunk may hold several tokens or none. With
 * {@code --duration} it is a soak test instead ({@link LoadSoak}).
 */
@Command(name = "loadgen", mixinStandardHelpOptions = true,
        description = {"Measure a running server: N concurrent streaming completions per round, aggregate decode tokens/s,",
                "time to first token, and the gaps between a stream's text chunks (p99 and max: how long a client waited",
                "on a pass that read other requests' prompts)."})
final class LoadgenCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "the server (default: ${DEFAULT-VALUE})")
    String url;

    @Option(names = {"-c", "--clients"}, split = ",", defaultValue = "1,4,8", description = "concurrent clients per round (default: ${DEFAULT-VALUE})")
    List<Integer> clients;

    @Option(names = {"-n", "--tokens"}, defaultValue = "128", description = "tokens each client asks for (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = {"-p", "--prompt"}, defaultValue = "Once upon a time", description = "the prompt (client i appends ' i', so the prompts differ)")
    String prompt;

    @Option(names = "--extra", paramLabel = "JSON",
            description = "a JSON object whose fields are added to every request of the rounds, e.g. llama-server's "
                    + "'{\"ignore_eos\":true,\"cache_prompt\":false}' (phd serve ignores fields it does not know)")
    String extra;

    @Option(names = "--repeat", defaultValue = "1", description = "rounds per client count, reported one by one (default: ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "0",
            description = "instead of rounds: the -c clients stream back to back for this long, every response checked; "
                    + "reports lost responses, TTFT p50/p99 and (with --pid) the server's memory over time; exit status 1 if any was lost")
    int duration;

    @Option(names = "--pid", paramLabel = "PID", defaultValue = "0", description = "with --duration: the server's process, whose resident memory is sampled")
    long pid;

    @Option(names = "--sample", paramLabel = "SECONDS", defaultValue = "5", description = "with --duration: seconds between samples (default: ${DEFAULT-VALUE})")
    int sample;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** One response: when it was sent, its first and last text chunks, its tokens, and the gaps between its text chunks (ns). */
    private record Stream(long start, long first, long last, int tokens, List<Long> gaps) {}

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (tokens < 1) throw bad("-n must be >= 1, got " + tokens);
        if (clients.stream().anyMatch(c -> c < 1)) throw bad("-c counts must be >= 1, got " + clients);
        if (duration < 0 || sample < 1) throw bad("--duration must be >= 0 and --sample >= 1");
        ObjectNode extraFields = extraFields();
        if (duration > 0) {
            if (clients.size() != 1) throw bad("--duration takes one -c count, got " + clients);
            return new LoadSoak(url, prompt, tokens).run(clients.getFirst(), duration, sample, pid, out) == 0 ? 0 : 1;
        }
        out.println("clients  tokens  wall_s  agg_tok/s  per_client_tok/s  ttft_p50_ms  ttft_p99_ms  gap_p99_ms  gap_max_ms");
        for (int c : clients) {
            for (int rep = 0; rep < repeat; rep++) {
                // a client of its own per round: a connection kept alive from the last round may
                // have been closed by the server meanwhile (llama-server's after 5 s idle), and a
                // POST sent on it is not retried
                try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                     ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    List<Future<Stream>> streams = new ArrayList<>();
                    for (int i = 0; i < c; i++) {
                        String p = prompt + " " + i;
                        streams.add(pool.submit(() -> stream(http, p, extraFields)));
                    }
                    long first = Long.MAX_VALUE, last = 0;
                    List<Long> ttft = new ArrayList<>(), gaps = new ArrayList<>();
                    int total = 0;
                    for (Future<Stream> f : streams) {
                        Stream s = f.get();
                        first = Math.min(first, s.first());
                        last = Math.max(last, s.last());
                        ttft.add(s.first() - s.start());
                        gaps.addAll(s.gaps());
                        total += s.tokens();
                    }
                    ttft.sort(null);
                    gaps.sort(null);
                    if (gaps.isEmpty()) gaps.add(0L); // one text chunk per response: no gap to report
                    // decode speed: the tokens after each client's first, over the span all were generating in
                    double wall = (last - first) / 1e9;
                    double agg = (total - c) / wall;
                    out.printf("%7d  %6d  %6.2f  %9.1f  %16.1f  %11.0f  %11.0f  %10.0f  %10.0f%n", c, total, wall, agg, agg / c,
                            LoadSoak.percentile(ttft, 50) / 1e6, LoadSoak.percentile(ttft, 99) / 1e6,
                            LoadSoak.percentile(gaps, 99) / 1e6, gaps.getLast() / 1e6);
                    out.flush();
                }
            }
        }
        return 0;
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private ObjectNode extraFields() {
        if (extra == null) return JSON.createObjectNode();
        try {
            if (JSON.readTree(extra) instanceof ObjectNode o) return o;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw bad("--extra is not JSON: " + e.getOriginalMessage());
        }
        throw bad("--extra must be a JSON object, got " + extra);
    }

    private Stream stream(HttpClient http, String p, ObjectNode extraFields) throws Exception {
        ObjectNode request = JSON.createObjectNode().put("prompt", p).put("max_tokens", tokens).put("temperature", 0).put("stream", true);
        request.set("stream_options", JSON.createObjectNode().put("include_usage", true));
        request.setAll(extraFields);
        String body = request.toString();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url + "/v1/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long start = System.nanoTime(), first = 0, last = 0;
        int count = -1;
        List<Long> gaps = new ArrayList<>();
        HttpResponse<java.io.InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        if (resp.statusCode() != 200) throw new IllegalStateException("HTTP " + resp.statusCode() + ": " + new String(resp.body().readAllBytes(), StandardCharsets.UTF_8));
        try (BufferedReader in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
                JsonNode chunk = JSON.readTree(line.substring(6));
                if (chunk.path("usage").has("completion_tokens")) { // llama-server's comes with the finish_reason chunk
                    count = chunk.get("usage").get("completion_tokens").asInt(); // tokens, not pieces (a piece may hold several)
                }
                if (!chunk.path("choices").path(0).path("text").asText().isEmpty()) {
                    long now = System.nanoTime();
                    if (first == 0) first = now;
                    else gaps.add(now - last);
                    last = now;
                }
            }
        }
        if (count < 0) throw new IllegalStateException("the stream had no usage chunk (stream_options.include_usage), so its tokens are not known");
        if (first == 0) throw new IllegalStateException("the stream had no text chunk");
        return new Stream(start, first, last, count, gaps);
    }
}
