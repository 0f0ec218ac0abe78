package phd4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import phd4j.GenerationParams;
import phd4j.GenerationResult;
import phd4j.Model;
import phd4j.Session;
import phd4j.chat.ChatMessage;
import phd4j.chat.ChatTemplate;
import phd4j.sample.SamplerParams;

/**
 * What {@link PhdChatModel} and {@link PhdStreamingChatModel} share: the model, the chat template,
 * the default request parameters and a pool of sessions. Thread-safe: the model is shared, each call
 * takes an idle session from the pool (or opens one, up to {@code maxSessions}) and gives it back
 * when done. A session keeps the conversation it last answered, so a call that continues it
 * evaluates only the new messages.
 */
final class PhdEngine implements AutoCloseable {
    /** The fallback for a model without {@code tokenizer.chat_template}, as phd4j's command-line tools use it. */
    static final String CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
    /** The context a session gets unless the builder says otherwise: the model's, at most this. */
    static final int DEFAULT_MAX_CONTEXT = 4096;

    private final Model model;
    private final boolean ownsModel;
    private final ChatTemplate template;
    /** Extra stop strings: the ChatML markers when ChatML is a fallback the model was not trained on. */
    private final List<String> templateStops;
    private final int contextLength;
    private final ChatRequestParameters defaults;
    private final String modelName;
    private final Semaphore permits;
    private final ConcurrentLinkedDeque<Session> idle = new ConcurrentLinkedDeque<>();

    PhdEngine(PhdModelBuilder<?> b) {
        if (b.model == null && b.modelPath == null) throw new IllegalArgumentException("give a model(Model) or a modelPath(Path)");
        if (b.model != null && b.modelPath != null) throw new IllegalArgumentException("give model(Model) or modelPath(Path), not both");
        this.ownsModel = b.model == null;
        this.model = b.model != null ? b.model
                : b.threads != null ? Model.load(b.modelPath, b.threads) : Model.load(b.modelPath);
        try {
            if (b.chatTemplate != null) {
                this.template = b.chatTemplate;
                this.templateStops = List.of();
            } else {
                var own = model.chatTemplate();
                if (own.isPresent()) {
                    this.template = own.get();
                    this.templateStops = List.of();
                } else if (b.chatMlFallback) {
                    this.template = ChatTemplate.parse(CHATML, "chatml");
                    this.templateStops = List.of("<|im_end|>", "<|im_start|>");
                } else {
                    throw new IllegalArgumentException(model.file().path() + " has no tokenizer.chat_template: give one with "
                            + "chatTemplate(ChatTemplate), or allow the ChatML fallback with chatMlFallback(true)");
                }
            }
            int trained = model.config().trainedContext();
            this.contextLength = b.contextLength != null ? b.contextLength
                    : trained > 0 ? Math.min(trained, DEFAULT_MAX_CONTEXT) : DEFAULT_MAX_CONTEXT;
            if (contextLength < 1) throw new IllegalArgumentException("context length must be >= 1, is " + contextLength);
            this.modelName = b.modelName != null ? b.modelName : fileName(model);
            this.defaults = PhdChatRequestParameters.builder()
                    .seed(b.seed)
                    .minP(b.minP)
                    .repeatPenalty(b.repeatPenalty)
                    .modelName(modelName)
                    .temperature(b.temperature)
                    .topP(b.topP)
                    .topK(b.topK)
                    .maxOutputTokens(b.maxOutputTokens)
                    .stopSequences(b.stopSequences)
                    .build();
            validate(defaults);
            int max = b.maxSessions != null ? b.maxSessions : Math.max(1, Runtime.getRuntime().availableProcessors());
            if (max < 1) throw new IllegalArgumentException("maxSessions must be >= 1, is " + max);
            this.permits = new Semaphore(max, true);
        } catch (RuntimeException e) {
            if (ownsModel) model.close();
            throw e;
        }
    }

    private static String fileName(Model model) {
        Path p = model.file().path();
        Path name = p == null ? null : p.getFileName();
        return name == null ? "phd4j" : name.toString();
    }

    Model model() {
        return model;
    }

    ChatTemplate template() {
        return template;
    }

    int contextLength() {
        return contextLength;
    }

    ChatRequestParameters defaultRequestParameters() {
        return defaults;
    }

    /**
     * Runs one request on a pooled session, passing each non-empty piece of text to {@code partial}
     * (null: none) as it is made.
     *
     * @throws UnsupportedFeatureException for tools, JSON response formats, penalties or non-text content
     */
    ChatResponse chat(ChatRequest request, Consumer<String> partial) {
        // ChatModel.chat has merged them already; doChat called directly has not
        ChatRequestParameters p = defaults.overrideWith(request.parameters());
        validate(p);
        List<ChatMessage> messages = messages(request.messages());
        GenerationParams params = params(p);
        Session session = acquire();
        boolean healthy = false;
        try {
            GenerationResult r = session.chat(template, messages, params, (token, text) -> {
                if (partial != null && !text.isEmpty()) partial.accept(text);
                return true;
            });
            int input = session.position() - r.decodedTokens();
            int output = r.tokens().length;
            healthy = true;
            return ChatResponse.builder()
                    .aiMessage(AiMessage.from(r.text()))
                    .modelName(modelName)
                    .tokenUsage(new TokenUsage(input, output))
                    .finishReason(finishReason(r.stopReason()))
                    .build();
        } finally {
            release(session, healthy);
        }
    }

    private Session acquire() {
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a free session", e);
        }
        Session s = idle.pollFirst();
        if (s != null) return s;
        try {
            return model.newSession(contextLength);
        } catch (RuntimeException e) {
            permits.release();
            throw e;
        }
    }

    /** A session that failed part-way may hold a half-evaluated conversation: it is dropped, not reused. */
    private void release(Session s, boolean healthy) {
        if (healthy) idle.addFirst(s);
        else s.close();
        permits.release();
    }

    static FinishReason finishReason(GenerationResult.StopReason reason) {
        return switch (reason) {
            case END_OF_GENERATION, STOP_TOKEN, STOP_STRING -> FinishReason.STOP;
            case MAX_TOKENS -> FinishReason.LENGTH;
            case LISTENER -> FinishReason.OTHER;
        };
    }

    private GenerationParams params(ChatRequestParameters p) {
        SamplerParams d = SamplerParams.DEFAULTS;
        PhdChatRequestParameters phd = p instanceof PhdChatRequestParameters x ? x : PhdChatRequestParameters.builder().build();
        SamplerParams s = new SamplerParams(
                p.temperature() != null ? p.temperature().floatValue() : d.temperature(),
                p.topK() != null ? p.topK() : d.topK(),
                p.topP() != null ? p.topP().floatValue() : d.topP(),
                phd.minP() != null ? phd.minP().floatValue() : d.minP(),
                phd.repeatPenalty() != null ? phd.repeatPenalty().floatValue() : d.repeatPenalty(),
                d.repeatLastN(),
                phd.seed() != null ? phd.seed() : d.seed(),
                p.presencePenalty() != null ? p.presencePenalty().floatValue() : d.presencePenalty(),
                p.frequencyPenalty() != null ? p.frequencyPenalty().floatValue() : d.frequencyPenalty());
        // without a limit, at most a context's worth: a model may never write its end-of-turn token
        int max = p.maxOutputTokens() != null ? p.maxOutputTokens() : contextLength;
        List<String> stops = new ArrayList<>(templateStops);
        if (p.stopSequences() != null) {
            for (String stop : p.stopSequences()) if (stop != null && !stop.isEmpty() && !stops.contains(stop)) stops.add(stop);
        }
        return GenerationParams.of(max, s).withStopStrings(stops);
    }

    /** Refuses what phd4j cannot do, rather than ignoring it. */
    static void validate(ChatRequestParameters p) {
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            throw new UnsupportedFeatureException("phd4j does not support tools (tool specifications were given)");
        }
        if (p.toolChoice() == ToolChoice.REQUIRED) {
            throw new UnsupportedFeatureException("phd4j does not support tools (tool choice REQUIRED)");
        }
        if (p.responseFormat() != null && p.responseFormat().type() != ResponseFormatType.TEXT) {
            throw new UnsupportedFeatureException("phd4j does not support the response format " + p.responseFormat().type()
                    + (p.responseFormat().jsonSchema() != null ? " (with a JSON schema)" : "") + ": only TEXT");
        }
        if (p.frequencyPenalty() != null && !Double.isFinite(p.frequencyPenalty())) {
            throw new IllegalArgumentException("frequencyPenalty must be a finite number, is " + p.frequencyPenalty());
        }
        if (p.presencePenalty() != null && !Double.isFinite(p.presencePenalty())) {
            throw new IllegalArgumentException("presencePenalty must be a finite number, is " + p.presencePenalty());
        }
        if (p.temperature() != null && !(p.temperature() >= 0)) {
            throw new IllegalArgumentException("temperature must be >= 0, is " + p.temperature());
        }
        if (p.topP() != null && !(p.topP() > 0 && p.topP() <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], is " + p.topP());
        }
        if (p.topK() != null && p.topK() < 0) throw new IllegalArgumentException("topK must be >= 0, is " + p.topK());
        if (p instanceof PhdChatRequestParameters phd) {
            if (phd.minP() != null && !(phd.minP() >= 0 && phd.minP() <= 1)) throw new IllegalArgumentException("minP must be in [0, 1], is " + phd.minP());
            if (phd.repeatPenalty() != null && !(phd.repeatPenalty() > 0 && Double.isFinite(phd.repeatPenalty()))) {
                throw new IllegalArgumentException("repeatPenalty must be > 0, is " + phd.repeatPenalty());
            }
        }
        if (p.maxOutputTokens() != null && p.maxOutputTokens() < 1) {
            throw new IllegalArgumentException("maxOutputTokens must be >= 1, is " + p.maxOutputTokens());
        }
    }

    /** LangChain4j messages as chat-template messages: system, user (text only) and assistant (text only). */
    static List<ChatMessage> messages(List<dev.langchain4j.data.message.ChatMessage> in) {
        Objects.requireNonNull(in, "messages");
        List<ChatMessage> out = new ArrayList<>(in.size());
        for (var m : in) {
            switch (m) {
                case SystemMessage s -> out.add(new ChatMessage("system", s.text()));
                case UserMessage u -> {
                    StringBuilder text = new StringBuilder();
                    for (Content c : u.contents()) {
                        if (!(c instanceof TextContent t)) {
                            throw new UnsupportedFeatureException("phd4j reads text only: a user message has " + c.type() + " content");
                        }
                        if (!text.isEmpty()) text.append('\n');
                        text.append(t.text());
                    }
                    out.add(new ChatMessage("user", text.toString()));
                }
                case AiMessage a -> {
                    if (a.hasToolExecutionRequests()) {
                        throw new UnsupportedFeatureException("phd4j does not support tools: an AI message has tool execution requests");
                    }
                    out.add(new ChatMessage("assistant", a.text() == null ? "" : a.text()));
                }
                default -> throw new UnsupportedFeatureException("phd4j does not support " + m.type() + " messages");
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no messages");
        return out;
    }

    @Override
    public void close() {
        Session s;
        while ((s = idle.pollFirst()) != null) s.close();
        if (ownsModel) model.close();
    }
}
