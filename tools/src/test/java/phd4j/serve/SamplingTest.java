package phd4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import phd4j.Session;
import phd4j.tokenizer.Tokenizer;

/**
 * The per-request sampling fields of phd serve checked against the model itself: log-probabilities
 * are the log softmax of the logits a session of our own computes for the same tokens, and
 * greedy generation with presence, frequency or repeat penalties picks the argmax of the logits
 * penalized as OpenAI (llama.cpp for repeat_penalty) says.
 */
class SamplingTest {
    static final String PROMPT = "The house at Longbourn"; // its greedy reply repeats itself: the penalties have work to do
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

    static JsonNode post(String path, String body) throws Exception {
        var r = ServerTest.call(running.server(), "POST", path, body, "k");
        assertEquals(200, r.statusCode(), r.body());
        return ServerTest.JSON.readTree(r.body());
    }

    static JsonNode completion(String extra) throws Exception {
        return post("/v1/completions", "{\"prompt\":\"" + PROMPT + "\",\"max_tokens\":10,\"temperature\":0" + extra + "}");
    }

    static Tokenizer tokenizer() {
        return running.model().tokenizer();
    }

    /**
     * Greedy decoding of PROMPT in a session of our own: {@code penalize} adjusts a copy of each
     * step's logits given the tokens so far (prompt and generated); {@code observe} sees the raw
     * logits and the token picked.
     */
    static int[] greedy(int maxTokens, BiConsumer<float[], List<Integer>> penalize, BiConsumer<float[], Integer> observe) {
        int[] prompt = tokenizer().encode(PROMPT, true, false);
        List<Integer> seen = new ArrayList<>();
        for (int t : prompt) seen.add(t);
        List<Integer> out = new ArrayList<>();
        try (Session s = running.model().newSession(128)) {
            float[] logits = s.evaluate(prompt);
            while (out.size() < maxTokens) {
                float[] adjusted = logits.clone();
                penalize.accept(adjusted, seen.subList(prompt.length, seen.size()));
                int best = 0;
                for (int i = 1; i < adjusted.length; i++) if (adjusted[i] > adjusted[best]) best = i;
                if (tokenizer().isEndOfGeneration(best)) break;
                observe.accept(logits, best);
                out.add(best);
                seen.add(best);
                logits = s.evaluate(new int[] {best});
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    static double logZ(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        return max + Math.log(sum);
    }

    static String piece(int token) {
        return new String(tokenizer().pieceBytes(token), StandardCharsets.UTF_8);
    }

    @Test
    void completionLogprobsAreTheLogSoftmaxOfTheLogits() throws Exception {
        JsonNode lp = completion(",\"logprobs\":3").at("/choices/0/logprobs");
        List<Double> expected = new ArrayList<>();
        List<List<Integer>> expectedTop = new ArrayList<>();
        int[] tokens = greedy(10, (l, g) -> {}, (logits, token) -> {
            double z = logZ(logits);
            expected.add(logits[token] - z);
            Integer[] order = new Integer[logits.length];
            for (int i = 0; i < order.length; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
            expectedTop.add(List.of(order[0], order[1], order[2]));
            assertEquals(token, order[0], "greedy takes the most likely");
        });
        assertEquals(tokens.length, lp.get("tokens").size(), lp.toString());
        int offset = 0;
        for (int i = 0; i < tokens.length; i++) {
            assertEquals(piece(tokens[i]), lp.get("tokens").get(i).asText());
            assertEquals(expected.get(i), lp.get("token_logprobs").get(i).asDouble(), 1e-3, "token " + i);
            assertTrue(expected.get(i) < 0);
            JsonNode top = lp.get("top_logprobs").get(i);
            assertEquals(3, top.size(), top.toString());
            assertEquals(expected.get(i), top.get(piece(tokens[i])).asDouble(), 1e-3, "the chosen token is the first of the top");
            for (int id : expectedTop.get(i)) assertTrue(top.has(piece(id)), top + " lacks " + piece(id));
            assertEquals(offset, lp.get("text_offset").get(i).asInt());
            offset += piece(tokens[i]).length();
        }
    }

    @Test
    void chatLogprobsWholeAndStreamed() throws Exception {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}],\"max_tokens\":8,\"temperature\":0,"
                + "\"logprobs\":true,\"top_logprobs\":2";
        JsonNode whole = post("/v1/chat/completions", body + "}").at("/choices/0");
        JsonNode content = whole.at("/logprobs/content");
        assertEquals(8, content.size(), whole.toString());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (JsonNode e : content) {
            for (JsonNode b : e.get("bytes")) bytes.write(b.asInt());
            JsonNode top = e.get("top_logprobs");
            assertEquals(2, top.size());
            assertEquals(e.get("token"), top.get(0).get("token"), "greedy: the chosen token is the likeliest");
            assertEquals(e.get("logprob").asDouble(), top.get(0).get("logprob").asDouble(), 0);
            assertTrue(top.get(0).get("logprob").asDouble() >= top.get(1).get("logprob").asDouble());
        }
        assertEquals(whole.at("/message/content").asText(), bytes.toString(StandardCharsets.UTF_8), "the tokens' bytes are the reply");

        var streamed = ServerTest.call(running.server(), "POST", "/v1/chat/completions", body + ",\"stream\":true}", "k");
        List<JsonNode> streamedEntries = new ArrayList<>();
        for (String event : streamed.body().split("\n\n")) {
            if (event.equals("data: [DONE]")) break;
            JsonNode c = ServerTest.JSON.readTree(event.substring("data: ".length())).at("/choices/0/logprobs/content");
            for (JsonNode e : c) streamedEntries.add(e);
        }
        assertEquals(content.size(), streamedEntries.size(), streamed.body());
        for (int i = 0; i < content.size(); i++) {
            assertEquals(content.get(i).get("token"), streamedEntries.get(i).get("token"));
            assertEquals(content.get(i).get("logprob").asDouble(), streamedEntries.get(i).get("logprob").asDouble(), 1e-4);
        }
        assertTrue(whole.at("/logprobs/refusal").isNull());
        assertTrue(post("/v1/chat/completions", body.replace("\"logprobs\":true,\"top_logprobs\":2", "\"logprobs\":false") + "}")
                .at("/choices/0/logprobs").isNull());
    }

    @Test
    void presenceAndFrequencyPenaltiesAsOpenAiDefinesThem() throws Exception {
        String plain = completion("").at("/choices/0/text").asText();
        int[] expected = greedy(10, (logits, generated) -> {
            int[] counts = new int[logits.length];
            for (int t : generated) counts[t]++;
            for (int t = 0; t < logits.length; t++) if (counts[t] > 0) logits[t] -= counts[t] * 1.5f + 0.5f;
        }, (l, t) -> {});
        String penalized = completion(",\"presence_penalty\":0.5,\"frequency_penalty\":1.5").at("/choices/0/text").asText();
        assertEquals(tokenizer().decode(expected), penalized);
        assertNotEquals(plain, penalized, "the penalties change this greedy reply");
    }

    @Test
    void repeatPenaltyAsLlamaCppDefinesIt() throws Exception {
        String plain = completion("").at("/choices/0/text").asText();
        int[] prompt = tokenizer().encode(PROMPT, true, false);
        int[] expected = greedy(10, (logits, generated) -> {
            List<Integer> recent = new ArrayList<>();
            for (int t : prompt) recent.add(t);
            recent.addAll(generated); // fewer than the last 64 tokens: all of them count
            for (int t : recent.stream().distinct().toList()) logits[t] = logits[t] > 0 ? logits[t] / 1.8f : logits[t] * 1.8f;
        }, (l, t) -> {});
        String penalized = completion(",\"repeat_penalty\":1.8").at("/choices/0/text").asText();
        assertEquals(tokenizer().decode(expected), penalized);
        assertNotEquals(plain, penalized, "the penalty changes this greedy reply");
    }

    @Test
    void badSamplingFieldsNameTheField() throws Exception {
        String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":2";
        for (String[] c : new String[][] {
                {chat + ",\"top_logprobs\":2}", "top_logprobs"},
                {chat + ",\"logprobs\":true,\"top_logprobs\":21}", "top_logprobs"},
                {chat + ",\"logprobs\":3}", "logprobs"},
                {chat + ",\"presence_penalty\":2.5}", "presence_penalty"},
                {chat + ",\"frequency_penalty\":\"high\"}", "frequency_penalty"},
                {chat + ",\"logit_bias\":{\"5\":100}}", "logit_bias"}}) {
            var r = ServerTest.call(running.server(), "POST", "/v1/chat/completions", c[0], "k");
            assertEquals(c[1], ServerTest.error(r, 400).get("param").asText(), c[0]);
        }
        var r = ServerTest.call(running.server(), "POST", "/v1/completions", "{\"prompt\":\"x\",\"logprobs\":true}", "k");
        assertEquals("logprobs", ServerTest.error(r, 400).get("param").asText());
    }
}
