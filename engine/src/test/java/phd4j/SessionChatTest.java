package phd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import phd4j.chat.ChatMessage;
import phd4j.chat.ChatTemplate;

/**
 * Session.chat on the shipped default model: a conversation that continues the last answer
 * evaluates only its new text and then answers as a fresh session given the whole conversation
 * does; any other conversation starts over.
 */
class SessionChatTest {
    static final ChatTemplate TEMPLATE = ChatTemplate.parse(
            "{% for m in messages %}{{ m.role }}:{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}", "test");
    static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Path.of(System.getProperty("phd4j.root", ".."), "models", "default.gguf"), 1);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static GenerationResult fresh(List<ChatMessage> messages, int maxTokens) {
        try (Session s = model.newSession(512)) {
            return s.chat(TEMPLATE, messages, GenerationParams.greedy(maxTokens), (t, p) -> true);
        }
    }

    @Test
    void aContinuedConversationEvaluatesOnlyItsNewText() {
        try (Session s = model.newSession(512)) {
            List<ChatMessage> messages = new ArrayList<>(List.of(new ChatMessage("user", "Once upon a time there was a dog.")));
            GenerationResult first = s.chat(TEMPLATE, messages, GenerationParams.greedy(12), (t, p) -> true);
            assertEquals(fresh(messages, 12).text(), first.text());
            messages.add(new ChatMessage("assistant", first.text()));
            messages.add(new ChatMessage("user", "The dog was happy."));
            GenerationResult second = s.chat(TEMPLATE, messages, GenerationParams.greedy(12), (t, p) -> true);
            GenerationResult whole = fresh(messages, 12);
            assertTrue(second.promptTokens() < whole.promptTokens() / 2,
                    () -> "evaluated " + second.promptTokens() + " of " + whole.promptTokens() + " tokens");
            assertArrayEquals(whole.tokens(), second.tokens());
        }
    }

    @Test
    void anEditedConversationStartsOver() {
        try (Session s = model.newSession(512)) {
            s.chat(TEMPLATE, List.of(new ChatMessage("user", "Once upon a time.")), GenerationParams.greedy(4), (t, p) -> true);
            List<ChatMessage> other = List.of(new ChatMessage("user", "A cat sat."));
            GenerationResult r = s.chat(TEMPLATE, other, GenerationParams.greedy(8), (t, p) -> true);
            GenerationResult whole = fresh(other, 8);
            assertEquals(whole.promptTokens(), r.promptTokens());
            assertArrayEquals(whole.tokens(), r.tokens());
        }
    }

    @Test
    void aConversationLongerThanTheContextIsRefused() {
        try (Session s = model.newSession(16)) {
            List<ChatMessage> longOne = List.of(new ChatMessage("user", "word ".repeat(100)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.chat(TEMPLATE, longOne, GenerationParams.greedy(4), (t, p) -> true));
            assertTrue(e.getMessage().contains("context of 16"), e.getMessage());
        }
    }
}
