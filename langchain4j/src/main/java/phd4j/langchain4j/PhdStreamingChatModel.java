package phd4j.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.util.List;
import phd4j.Model;

/**
 * A LangChain4j {@link StreamingChatModel} that runs a phd4j {@link Model} in this JVM. The reply
 * is generated on the calling thread: {@code chat(request, handler)} returns after the handler's
 * {@code onCompleteResponse} or {@code onError}. Thread-safe, as {@link PhdChatModel}.
 *
 * <pre>{@code
 * StreamingChatModel chat = PhdStreamingChatModel.builder().model(model).build();
 * chat.chat("Hello!", new StreamingChatResponseHandler() {
 *     public void onPartialResponse(String text) { System.out.print(text); }
 *     public void onCompleteResponse(ChatResponse response) { System.out.println(); }
 *     public void onError(Throwable error) { error.printStackTrace(); }
 * });
 * }</pre>
 */
public final class PhdStreamingChatModel implements StreamingChatModel, AutoCloseable {
    private final PhdEngine engine;
    private final List<ChatModelListener> listeners;

    private PhdStreamingChatModel(Builder b) {
        this.engine = new PhdEngine(b);
        this.listeners = b.listeners == null ? List.of() : List.copyOf(b.listeners);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        ChatResponse response;
        try {
            response = engine.chat(request, handler::onPartialResponse);
        } catch (RuntimeException | Error e) {
            handler.onError(e);
            return;
        }
        handler.onCompleteResponse(response);
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return engine.defaultRequestParameters();
    }

    @Override
    public List<ChatModelListener> listeners() {
        return listeners;
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    /** The phd4j model this runs. */
    public Model model() {
        return engine.model();
    }

    /** Closes the pooled sessions, and the model if the builder loaded it from a path. */
    @Override
    public void close() {
        engine.close();
    }

    public static final class Builder extends PhdModelBuilder<Builder> {
        List<ChatModelListener> listeners;

        private Builder() {}

        public Builder listeners(List<ChatModelListener> listeners) {
            this.listeners = listeners;
            return this;
        }

        public PhdStreamingChatModel build() {
            return new PhdStreamingChatModel(this);
        }
    }
}
