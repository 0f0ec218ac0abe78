package phd4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.TokenStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import phd4j.Model;

/** LangChain4j's high-level API, AiServices, on the phd4j chat models: a plain, a remembering and a streaming assistant. */
class AiServicesTest {
    interface Assistant {
        @SystemMessage("You are Elizabeth Bennet.")
        String chat(String message);
    }

    interface StreamingAssistant {
        @SystemMessage("You are Elizabeth Bennet.")
        TokenStream chat(String message);
    }

    static Model model;
    static PhdChatModel chat;
    static PhdStreamingChatModel streaming;

    @BeforeAll
    static void load() {
        model = Model.load(PhdChatModelTest.defaultModel(), 2);
        chat = PhdChatModel.builder().model(model).chatMlFallback(true).temperature(0.0).maxOutputTokens(8).build();
        streaming = PhdStreamingChatModel.builder().model(model).chatMlFallback(true).temperature(0.0).maxOutputTokens(8).build();
    }

    @AfterAll
    static void close() {
        chat.close();
        streaming.close();
        model.close();
    }

    @Test
    void anAssistantAnswersAndRemembers() {
        String once = AiServices.create(Assistant.class, chat).chat("Good morning.");
        assertFalse(once.isBlank());
        MessageWindowChatMemory memory = MessageWindowChatMemory.withMaxMessages(10);
        Assistant remembering = AiServices.builder(Assistant.class).chatModel(chat).chatMemory(memory).build();
        assertEquals(once, remembering.chat("Good morning."));
        assertFalse(remembering.chat("And how is Jane?").isBlank());
        // system, user, AI, user, AI
        assertEquals(5, memory.messages().size());
        assertEquals(once, ((AiMessage) memory.messages().get(2)).text());
    }

    @Test
    void aStreamingAssistantStreamsTheSameReply() throws Exception {
        String expected = AiServices.create(Assistant.class, chat).chat("Good morning.");
        StringBuilder parts = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        AiServices.create(StreamingAssistant.class, streaming).chat("Good morning.")
                .onPartialResponse(parts::append)
                .onCompleteResponse(done::complete)
                .onError(done::completeExceptionally)
                .start();
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertEquals(expected, r.aiMessage().text());
        assertEquals(expected, parts.toString());
        assertTrue(r.tokenUsage().inputTokenCount() > 0);
    }
}
