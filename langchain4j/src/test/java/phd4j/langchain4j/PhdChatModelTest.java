package phd4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import phd4j.Model;
import phd4j.chat.ChatTemplate;

/** The LangChain4j chat models through LangChain4j's own interfaces, on the shipped default model (which has no chat template: ChatML). */
class PhdChatModelTest {
    static final String PROMPT = "Tell me about Miss Bennet.";
    static Model model;
    static ChatModel chat;
    static StreamingChatModel streaming;

    static Path defaultModel() {
        return Path.of(System.getProperty("phd4j.root", ".."), "models", "default.gguf");
    }

    @BeforeAll
    static void load() {
        model = Model.load(defaultModel(), 2);
        chat = PhdChatModel.builder().model(model).chatMlFallback(true).temperature(0.0).maxOutputTokens(24).build();
        streaming = PhdStreamingChatModel.builder().model(model).chatMlFallback(true).temperature(0.0).maxOutputTokens(24).build();
    }

    @AfterAll
    static void close() {
        ((PhdChatModel) chat).close();
        ((PhdStreamingChatModel) streaming).close();
        model.close();
    }

    static ChatRequest request(ChatRequestParameters parameters, dev.langchain4j.data.message.ChatMessage... messages) {
        return ChatRequest.builder().messages(messages).parameters(parameters).build();
    }

    @Test
    void chatReturnsText() {
        String text = chat.chat(PROMPT);
        assertNotNull(text);
        assertFalse(text.isBlank(), () -> "empty reply: '" + text + "'");
    }

    @Test
    void greedyIsDeterministic() {
        ChatResponse a = chat.chat(UserMessage.from(PROMPT));
        ChatResponse b = chat.chat(UserMessage.from(PROMPT));
        assertEquals(a.aiMessage().text(), b.aiMessage().text());
        assertEquals(a.tokenUsage(), b.tokenUsage());
        // a fresh chat model (fresh sessions) on the same model says the same
        try (PhdChatModel other = PhdChatModel.builder().model(model).chatMlFallback(true).temperature(0.0).maxOutputTokens(24).build()) {
            assertEquals(a.aiMessage().text(), other.chat(PROMPT));
        }
    }

    @Test
    void maxOutputTokensEndsWithLength() {
        ChatResponse r = chat.chat(request(ChatRequestParameters.builder().maxOutputTokens(5).build(), UserMessage.from(PROMPT)));
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(5, r.tokenUsage().outputTokenCount());
        assertTrue(r.tokenUsage().inputTokenCount() > 5, () -> "input tokens " + r.tokenUsage().inputTokenCount());
        assertEquals(r.tokenUsage().inputTokenCount() + 5, r.tokenUsage().totalTokenCount());
        assertEquals("default.gguf", r.modelName());
        // the reply is a prefix of a longer greedy reply
        assertTrue(chat.chat(PROMPT).startsWith(r.aiMessage().text()));
    }

    @Test
    void samplingWithASeedIsReproducible() {
        ChatRequestParameters hot = ChatRequestParameters.builder().temperature(1.0).topP(0.9).topK(20).build();
        String a = chat.chat(request(hot, UserMessage.from(PROMPT))).aiMessage().text();
        String b = chat.chat(request(hot, UserMessage.from(PROMPT))).aiMessage().text();
        assertEquals(a, b);
        // phd4j's own parameters: the seed chooses the sample (one of three seeds differs from the others)
        List<String> bySeed = new ArrayList<>();
        for (long seed : new long[] {1, 2, 3}) {
            ChatRequestParameters seeded = PhdChatRequestParameters.builder().temperature(1.5).topK(0).topP(1.0).seed(seed).build();
            String first = chat.chat(request(seeded, UserMessage.from(PROMPT))).aiMessage().text();
            assertEquals(first, chat.chat(request(seeded, UserMessage.from(PROMPT))).aiMessage().text());
            bySeed.add(first);
        }
        assertTrue(bySeed.stream().distinct().count() > 1, () -> "the same reply for every seed: " + bySeed);
        // the merge keeps them: the chat model's defaults (greedy, 24 tokens) with a seed on top
        ChatRequestParameters merged = chat.defaultRequestParameters().overrideWith(PhdChatRequestParameters.builder().seed(7L).build());
        assertEquals(7L, ((PhdChatRequestParameters) merged).seed());
        assertEquals(0.0, merged.temperature());
        assertEquals(24, merged.maxOutputTokens());
    }

    @Test
    void stopSequencesCutTheReply() {
        String full = chat.chat(PROMPT);
        String stop = full.substring(full.length() / 2, full.length() / 2 + 2);
        int at = full.indexOf(stop);
        ChatResponse r = chat.chat(request(ChatRequestParameters.builder().stopSequences(stop).build(), UserMessage.from(PROMPT)));
        assertEquals(full.substring(0, at), r.aiMessage().text());
        assertEquals(FinishReason.STOP, r.finishReason());
    }

    @Test
    void aConversationWithSystemAndAiMessages() {
        ChatRequestParameters shortReply = ChatRequestParameters.builder().maxOutputTokens(8).build();
        String first = chat.chat(request(shortReply, UserMessage.from(PROMPT))).aiMessage().text();
        ChatResponse r = chat.chat(request(shortReply, SystemMessage.from("You are Mr. Darcy."), UserMessage.from(PROMPT),
                AiMessage.from(first), UserMessage.from(TextContent.from("And her sister?"), TextContent.from("Jane."))));
        assertEquals(8, r.tokenUsage().outputTokenCount());
        assertTrue(r.tokenUsage().inputTokenCount() > 24, () -> "input tokens " + r.tokenUsage().inputTokenCount());
    }

    @Test
    void streamingPartsMakeTheCompleteReply() throws Exception {
        String expected = chat.chat(PROMPT);
        List<String> parts = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(PROMPT, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partialResponse) {
                parts.add(partialResponse);
            }

            @Override
            public void onCompleteResponse(ChatResponse completeResponse) {
                done.complete(completeResponse);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertTrue(parts.size() > 1, () -> "parts: " + parts);
        assertEquals(r.aiMessage().text(), String.join("", parts));
        assertEquals(expected, r.aiMessage().text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(24, r.tokenUsage().outputTokenCount());
    }

    @Test
    void concurrentCallsFromFourThreads() throws Exception {
        String expected = chat.chat(PROMPT);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> replies = new ArrayList<>();
            for (int i = 0; i < 8; i++) replies.add(pool.submit(() -> chat.chat(PROMPT)));
            for (Future<String> f : replies) assertEquals(expected, f.get(120, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void unsupportedParametersAreRefused() {
        ToolSpecification tool = ToolSpecification.builder().name("weather").description("the weather").build();
        List<ChatRequestParameters> refused = List.of(
                ChatRequestParameters.builder().toolSpecifications(tool).build(),
                ChatRequestParameters.builder().responseFormat(ResponseFormat.JSON).build());
        for (ChatRequestParameters p : refused) {
            assertThrows(UnsupportedFeatureException.class, () -> chat.chat(request(p, UserMessage.from(PROMPT))), p::toString);
            AtomicReference<Throwable> error = new AtomicReference<>();
            streaming.chat(request(p, UserMessage.from(PROMPT)), new StreamingChatResponseHandler() {
                @Override
                public void onCompleteResponse(ChatResponse completeResponse) {}

                @Override
                public void onError(Throwable e) {
                    error.set(e);
                }
            });
            assertInstanceOf(UnsupportedFeatureException.class, error.get(), p::toString);
        }
        assertThrows(UnsupportedFeatureException.class,
                () -> chat.chat(UserMessage.from(ImageContent.from("https://example.com/a.png"))));
    }

    @Test
    void presenceAndFrequencyPenaltiesReachTheSampler() {
        String plain = chat.chat(UserMessage.from(PROMPT)).aiMessage().text();
        ChatRequestParameters none = ChatRequestParameters.builder().frequencyPenalty(0.0).presencePenalty(0.0).build();
        assertEquals(plain, chat.chat(request(none, UserMessage.from(PROMPT))).aiMessage().text(), "a penalty of 0 is no penalty");
        for (ChatRequestParameters p : List.of(ChatRequestParameters.builder().frequencyPenalty(2.0).build(),
                ChatRequestParameters.builder().presencePenalty(2.0).build())) {
            String penalized = chat.chat(request(p, UserMessage.from(PROMPT))).aiMessage().text();
            assertFalse(plain.equals(penalized), () -> p + " left the greedy reply as it was: " + plain);
        }
    }

    @Test
    void aModelWithoutChatTemplateNeedsOneOrTheFallback() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PhdChatModel.builder().model(model).build());
        assertTrue(e.getMessage().contains("chat_template"), e::getMessage);
        ChatTemplate plain = ChatTemplate.parse(
                "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}", "plain");
        try (PhdChatModel own = PhdChatModel.builder().model(model).chatTemplate(plain).temperature(0.0).maxOutputTokens(8).build()) {
            ChatResponse r = own.chat(UserMessage.from(PROMPT));
            assertEquals(8, r.tokenUsage().outputTokenCount());
        }
    }

    @Test
    void modelPathLoadsAndCloses() {
        try (PhdChatModel own = PhdChatModel.builder().modelPath(defaultModel()).threads(1).chatMlFallback(true)
                .temperature(0.0).maxOutputTokens(24).build()) {
            assertEquals(chat.chat(PROMPT), own.chat(PROMPT));
        }
    }
}
