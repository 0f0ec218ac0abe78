package phd4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code phd loadgen --duration S}: every client streams completions back to back until the time
 * is up, and each response is checked: HTTP 200, chunks, a finish_reason, the usage chunk and
 * {@code data: [DONE]}; anything else (a broken stream, an error status, a transport failure) is a
 * lost response. A 503 (all slots and the queue busy) is counted apart, and the client waits the
 * Retry-After it was given. Every {@code sampleSeconds} it prints the completed requests and, with
 * {@code --pid}, the server's resident memory, so that a leak shows as a climb.
 */
final class LoadSoak {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final String url, prompt;
    private final int tokens;
    private final List<Long> ttftNanos = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger completed = new AtomicInteger(), lost = new AtomicInteger(), busy = new AtomicInteger(),
            streamedTokens = new AtomicInteger();
    private final Map<String, Integer> lostWhy = new TreeMap<>();

    LoadSoak(String url, String prompt, int tokens) {
        this.url = url;
        this.prompt = prompt;
        this.tokens = tokens;
    }

    /** Runs {@code clients} clients for {@code seconds}; returns the number of lost responses. */
    int run(int clients, int seconds, int sampleSeconds, long pid, PrintWriter out) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long t0 = System.nanoTime();
        List<Long> rss = new ArrayList<>();
        out.println("t_s  completed  lost  busy_503  server_rss_mib");
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < clients; i++) {
                String p = prompt + " " + i;
                pool.submit(() -> client(p, end));
            }
            while (System.nanoTime() < end) {
                Thread.sleep(Math.min(sampleSeconds * 1000L, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                long r = pid > 0 ? rssKib(pid) : -1;
                if (r >= 0) rss.add(r);
                out.printf("%4.0f  %9d  %4d  %8d  %14s%n", (System.nanoTime() - t0) / 1e9, completed.get(), lost.get(), busy.get(),
                        r >= 0 ? String.format("%.1f", r / 1024.0) : "-");
                out.flush();
            }
        } // waits for the clients' last requests
        double wall = (System.nanoTime() - t0) / 1e9;
        List<Long> sorted;
        synchronized (ttftNanos) {
            sorted = new ArrayList<>(ttftNanos);
        }
        Collections.sort(sorted);
        out.printf("clients %d, %.1f s: %d responses complete, %d lost, %d refused busy (503, retried), %d tokens (%.1f tok/s)%n",
                clients, wall, completed.get(), lost.get(), busy.get(), streamedTokens.get(), streamedTokens.get() / wall);
        if (!sorted.isEmpty()) {
            out.printf("ttft ms: p50 %.0f  p99 %.0f  max %.0f%n", percentile(sorted, 50) / 1e6, percentile(sorted, 99) / 1e6,
                    sorted.getLast() / 1e6);
        }
        if (!rss.isEmpty()) {
            out.printf("server rss MiB: first %.1f  min %.1f  max %.1f  last %.1f%n", rss.getFirst() / 1024.0,
                    Collections.min(rss) / 1024.0, Collections.max(rss) / 1024.0, rss.getLast() / 1024.0);
        }
        synchronized (lostWhy) {
            lostWhy.forEach((why, n) -> out.printf("lost: %d x %s%n", n, why));
        }
        out.flush();
        return lost.get();
    }

    private void client(String p, long end) {
        while (System.nanoTime() < end) {
            try {
                int retryAfter = once(p);
                if (retryAfter > 0) Thread.sleep(retryAfter * 1000L);
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                lose(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
    }

    /** One streamed completion, checked; returns the seconds to wait before the next when refused as busy, else 0. */
    private int once(String p) throws IOException, InterruptedException {
        String body = JSON.createObjectNode().put("prompt", p).put("max_tokens", tokens).put("temperature", 0).put("stream", true)
                .set("stream_options", JSON.createObjectNode().put("include_usage", true)).toString();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url + "/v1/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long start = System.nanoTime();
        HttpResponse<java.io.InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        if (resp.statusCode() == 503) {
            resp.body().close();
            busy.incrementAndGet();
            return Integer.parseInt(resp.headers().firstValue("Retry-After").orElse("1"));
        }
        if (resp.statusCode() != 200) {
            lose("HTTP " + resp.statusCode() + ": " + new String(resp.body().readAllBytes(), StandardCharsets.UTF_8));
            return 0;
        }
        long first = 0;
        String finish = null;
        int usageTokens = -1;
        boolean done = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("data: [DONE]")) {
                    done = true;
                    continue;
                }
                if (!line.startsWith("data: ")) continue;
                JsonNode chunk = JSON.readTree(line.substring(6));
                if (chunk.has("usage")) usageTokens = chunk.get("usage").get("completion_tokens").asInt();
                JsonNode choice = chunk.path("choices").path(0);
                if (first == 0 && !choice.path("text").asText().isEmpty()) first = System.nanoTime();
                if (choice.hasNonNull("finish_reason")) finish = choice.get("finish_reason").asText();
            }
        }
        if (!done || finish == null || usageTokens < 0 || ("length".equals(finish) && usageTokens != tokens)) {
            lose("incomplete stream (done " + done + ", finish " + finish + ", usage tokens " + usageTokens + ")");
            return 0;
        }
        completed.incrementAndGet();
        streamedTokens.addAndGet(usageTokens);
        if (first > 0) ttftNanos.add(first - start);
        return 0;
    }

    private void lose(String why) {
        lost.incrementAndGet();
        String key = why.length() > 120 ? why.substring(0, 120) : why;
        synchronized (lostWhy) {
            lostWhy.merge(key, 1, Integer::sum);
        }
    }

    /** The nearest-rank percentile of sorted values. */
    static double percentile(List<Long> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** The process's resident set (VmRSS) in KiB, or -1 when it cannot be read (gone, or not Linux). */
    static long rssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
