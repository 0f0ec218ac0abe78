package phd4j.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.List;
import phd4j.Model;

/**
 * A LangChain4j {@link ChatModel} that runs a phd4j {@link Model} in this JVM (no server).
 * Thread-safe: calls share the model and each runs on its own session from a pool.
 *
 * <pre>{@code
 * ChatModel chat = PhdChatModel.builder().model(Model.load(path)).temperature(0.0).build();
 * String answer = chat.chat("Hello!");
 * }</pre>
 */
public final class PhdChatModel implements ChatModel, AutoCloseable {
    private final PhdEngine engine;
    private final List<ChatModelListener> listeners;

    private PhdChatModel(Builder b) {
        this.engine = new PhdEngine(b);
        this.listeners = b.listeners == null ? List.of() : List.copyOf(b.listeners);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return engine.chat(request, null);
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

        public PhdChatModel build() {
            return new PhdChatModel(this);
        }
    }
}
