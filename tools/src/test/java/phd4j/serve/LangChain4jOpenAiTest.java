package phd4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LangChain4j's own OpenAI module (the client most Java applications would point at a local
 * server) against phd serve on the default model: a chat whole and streamed, both greedy, must
 * give the text the plain HTTP API gives for the same request, with its usage and finish reason;
 * a bad parameter comes back as LangChain4j's InvalidRequestException carrying our message.
 */
class LangChain4jOpenAiTest {
    static final String PROMPT = "Once upon a time";
    static final int MAX_TOKENS = 8;
    static final StringWriter log = new StringWriter();
    static ServerTest.Running running;
    static String baseUrl;

    @BeforeAll
    static void up() throws Exception {
        running = ServerTest.start(new PrintWriter(log, true));
        baseUrl = "http://127.0.0.1:" + running.server().port() + "/v1";
    }

    @AfterAll
    static void down() {
        running.close();
    }

    /** The reply of the raw API to the same greedy request: what LangChain4j must return. */
    private static String rawReply() throws Exception {
        JsonNode r = ServerTest.JSON.readTree(ServerTest.call(running.server(), "POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT
                + "\"}],\"max_tokens\":" + MAX_TOKENS + ",\"temperature\":0}", "k").body());
        return r.at("/choices/0/message/content").asText();
    }

    private static ChatRequest request() {
        return ChatRequest.builder().messages(UserMessage.from(PROMPT)).build();
    }

    @Test
    void chatModel() throws Exception {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey("k").modelName("default.gguf")
                .temperature(0.0).maxTokens(MAX_TOKENS).timeout(Duration.ofSeconds(60)).maxRetries(0).build();
        ChatResponse r = model.chat(request());
        String expected = rawReply();
        assertFalse(expected.isEmpty());
        assertEquals(expected, r.aiMessage().text(), log.toString());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(MAX_TOKENS, r.tokenUsage().outputTokenCount());
        assertTrue(r.tokenUsage().inputTokenCount() > 0);
        assertEquals(r.tokenUsage().inputTokenCount() + MAX_TOKENS, r.tokenUsage().totalTokenCount());
        assertEquals("default.gguf", r.modelName());
    }

    @Test
    void streamingChatModel() throws Exception {
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(baseUrl).apiKey("k").modelName("default.gguf")
                .temperature(0.0).maxTokens(MAX_TOKENS).timeout(Duration.ofSeconds(60)).build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(request(), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String piece) {
                partial.append(piece);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        String expected = rawReply();
        assertEquals(expected, partial.toString(), log.toString());
        assertEquals(expected, r.aiMessage().text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(MAX_TOKENS, r.tokenUsage().outputTokenCount()); // LangChain4j asks for stream_options.include_usage
    }

    @Test
    void aBadParameterIsLangChain4jsInvalidRequest() {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey("k").modelName("default.gguf")
                .temperature(5.0).maxTokens(MAX_TOKENS).maxRetries(0).build();
        InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> model.chat(request()));
        assertTrue(e.getMessage().contains("temperature"), e.getMessage());
    }
}
