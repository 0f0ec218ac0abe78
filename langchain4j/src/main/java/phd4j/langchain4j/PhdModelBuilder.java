package phd4j.langchain4j;

import java.nio.file.Path;
import java.util.List;
import phd4j.Model;
import phd4j.chat.ChatTemplate;

/**
 * The settings {@link PhdChatModel} and {@link PhdStreamingChatModel} share. Request parameters
 * given here (temperature, topP, topK, maxOutputTokens, stopSequences) are the defaults that a
 * request's own parameters override; unset sampler values take phd4j's (llama.cpp's) defaults.
 */
public abstract class PhdModelBuilder<B extends PhdModelBuilder<B>> {
    Model model;
    Path modelPath;
    Integer threads;
    Integer contextLength;
    ChatTemplate chatTemplate;
    boolean chatMlFallback;
    Integer maxSessions;
    String modelName;
    Double temperature, topP, minP, repeatPenalty;
    Integer topK, maxOutputTokens;
    List<String> stopSequences;
    Long seed;

    PhdModelBuilder() {}

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** The loaded model to run (shared, not closed by this chat model). */
    public B model(Model model) { this.model = model; return self(); }

    /** A GGUF file to load instead of {@link #model(Model)}; the chat model then owns it and closes it in {@code close()}. */
    public B modelPath(Path path) { this.modelPath = path; return self(); }

    /** Worker threads when loading {@link #modelPath(Path)} (default: one per core). */
    public B threads(int threads) { this.threads = threads; return self(); }

    /** Tokens each session's KV cache holds (default: the model's trained context, at most 4096). */
    public B contextLength(int contextLength) { this.contextLength = contextLength; return self(); }

    /** The chat template to render conversations with, instead of the model's {@code tokenizer.chat_template}. */
    public B chatTemplate(ChatTemplate template) { this.chatTemplate = template; return self(); }

    /**
     * For a model without {@code tokenizer.chat_template} and no {@link #chatTemplate}: use ChatML
     * ({@code <|im_start|>role ... <|im_end|>}), stopping at its markers, instead of refusing to build.
     */
    public B chatMlFallback(boolean allow) { this.chatMlFallback = allow; return self(); }

    /** Sessions (KV caches) open at once; further calls wait for one (default: one per core). */
    public B maxSessions(int maxSessions) { this.maxSessions = maxSessions; return self(); }

    /** The name responses carry (default: the model file's name). */
    public B modelName(String name) { this.modelName = name; return self(); }

    /** 0 is greedy (default 0.8). */
    public B temperature(Double temperature) { this.temperature = temperature; return self(); }

    /** Nucleus sampling, 1 is off (default 0.95). */
    public B topP(Double topP) { this.topP = topP; return self(); }

    /** 0 is off (default 40). */
    public B topK(Integer topK) { this.topK = topK; return self(); }

    /** Min-p sampling, 0 is off (default 0.05): phd4j-specific, not a LangChain4j request parameter. */
    public B minP(Double minP) { this.minP = minP; return self(); }

    /** llama.cpp's repeat penalty, 1 is off (default 1): phd4j-specific. */
    public B repeatPenalty(Double penalty) { this.repeatPenalty = penalty; return self(); }

    /** The sampler's seed (default 0x5eed): the same seed and request give the same reply. */
    public B seed(long seed) { this.seed = seed; return self(); }

    /** Tokens generated at most (default: the context length). */
    public B maxOutputTokens(Integer max) { this.maxOutputTokens = max; return self(); }

    /** Strings that end the reply (not included in it). */
    public B stopSequences(List<String> stops) { this.stopSequences = stops; return self(); }
}
