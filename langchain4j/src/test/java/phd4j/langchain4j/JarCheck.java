package phd4j.langchain4j;

import dev.langchain4j.data.message.ChatMessageDeserializer;
import dev.langchain4j.data.message.ChatMessageSerializer;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import phd4j.Model;

/**
 * Run by the build's verify phase with {@code java -cp JAR:target/test-classes} on the module's
 * plain jar (with its dependencies) and on its shaded jar: the chat models work outside the test
 * class path, the classes come from the jar named, and Jackson (a multi-release jar, the thing
 * that breaks shaded Jlama) still works. Prints "jar check OK" and exits 0, else exits 1.
 * Arguments: the model file and the jar the classes must come from.
 */
public final class JarCheck {
    public static void main(String[] args) throws Exception {
        Path gguf = Path.of(args[0]);
        Path jar = Path.of(args[1]).toAbsolutePath().normalize();
        for (Class<?> c : new Class<?>[] {PhdChatModel.class, ChatModel.class, Model.class}) {
            Path from = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath().normalize();
            // the plain jar holds only this module; the shaded one all of it
            if (c == PhdChatModel.class || jar.getFileName().toString().endsWith("-shaded.jar")) {
                if (!from.equals(jar)) fail(c.getName() + " was loaded from " + from + ", not " + jar);
            }
        }
        String json = ChatMessageSerializer.messageToJson(UserMessage.from("hi"));
        if (!(ChatMessageDeserializer.messageFromJson(json) instanceof UserMessage u) || !u.singleText().equals("hi")) {
            fail("Jackson round trip of a message failed: " + json);
        }
        try (Model model = Model.load(gguf, 1);
             PhdChatModel chat = PhdChatModel.builder().model(model).chatMlFallback(true).temperature(0.0).maxOutputTokens(12).build();
             PhdStreamingChatModel streaming = PhdStreamingChatModel.builder().model(model).chatMlFallback(true)
                     .temperature(0.0).maxOutputTokens(12).build()) {
            ChatResponse r = chat.chat(UserMessage.from("Good morning."));
            if (r.aiMessage().text().isBlank() || r.finishReason() != FinishReason.LENGTH || r.tokenUsage().outputTokenCount() != 12) {
                fail("unexpected reply " + r);
            }
            StringBuilder parts = new StringBuilder();
            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            streaming.chat("Good morning.", new StreamingChatResponseHandler() {
                @Override
                public void onPartialResponse(String partialResponse) {
                    parts.append(partialResponse);
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
            String streamed = done.get().aiMessage().text();
            if (!streamed.equals(r.aiMessage().text()) || !parts.toString().equals(streamed)) {
                fail("streamed '" + parts + "' / '" + streamed + "', not '" + r.aiMessage().text() + "'");
            }
            System.out.println("jar check OK (" + args[1] + "): " + r.aiMessage().text().replace('\n', ' '));
        }
    }

    private static void fail(String message) {
        System.err.println("jar check FAILED: " + message);
        System.exit(1);
    }
}
