package phd4j.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import java.util.Objects;

/**
 * LangChain4j's request parameters plus phd4j's sampler settings that have no common parameter:
 * {@code seed}, {@code minP} and {@code repeatPenalty}. Unset values take the chat model's defaults.
 *
 * <pre>{@code
 * chat.chat(ChatRequest.builder().messages(UserMessage.from("Hi"))
 *         .parameters(PhdChatRequestParameters.builder().temperature(0.7).seed(42L).build()).build());
 * }</pre>
 */
public class PhdChatRequestParameters extends DefaultChatRequestParameters {
    private final Long seed;
    private final Double minP;
    private final Double repeatPenalty;

    protected PhdChatRequestParameters(Builder builder) {
        super(builder);
        this.seed = builder.seed;
        this.minP = builder.minP;
        this.repeatPenalty = builder.repeatPenalty;
    }

    /** The sampler's seed: the same seed and request give the same reply. */
    public Long seed() {
        return seed;
    }

    /** Min-p sampling, 0 is off. */
    public Double minP() {
        return minP;
    }

    /** llama.cpp's repeat penalty, 1 is off. */
    public Double repeatPenalty() {
        return repeatPenalty;
    }

    @Override
    public ChatRequestParameters overrideWith(ChatRequestParameters that) {
        return builder().overrideWith(this).overrideWith(that).build();
    }

    @Override
    public ChatRequestParameters defaultedBy(ChatRequestParameters that) {
        return builder().overrideWith(that).overrideWith(this).build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PhdChatRequestParameters p && super.equals(o)
                && Objects.equals(seed, p.seed) && Objects.equals(minP, p.minP) && Objects.equals(repeatPenalty, p.repeatPenalty);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), seed, minP, repeatPenalty);
    }

    @Override
    public String toString() {
        return "PhdChatRequestParameters{" + super.toString() + ", seed=" + seed + ", minP=" + minP
                + ", repeatPenalty=" + repeatPenalty + "}";
    }

    public static Builder builder() {
        return new Builder();
    }

    public static class Builder extends DefaultChatRequestParameters.Builder<Builder> {
        private Long seed;
        private Double minP;
        private Double repeatPenalty;

        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            super.overrideWith(parameters);
            if (parameters instanceof PhdChatRequestParameters p) {
                if (p.seed != null) seed = p.seed;
                if (p.minP != null) minP = p.minP;
                if (p.repeatPenalty != null) repeatPenalty = p.repeatPenalty;
            }
            return this;
        }

        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        public Builder minP(Double minP) {
            this.minP = minP;
            return this;
        }

        public Builder repeatPenalty(Double repeatPenalty) {
            this.repeatPenalty = repeatPenalty;
            return this;
        }

        @Override
        public PhdChatRequestParameters build() {
            return new PhdChatRequestParameters(this);
        }
    }
}
