package phd4j.sample;

/**
 * The sampler chain's settings, with llama.cpp's defaults. Values at their "off" setting
 * (topK 0, topP 1, minP 0, repeatPenalty 1, presence and frequency penalties 0) skip that stage;
 * temperature <= 0 is greedy. The presence and frequency penalties are OpenAI's: subtracted from
 * a token's logit once it has been generated (presence) and per time generated (frequency), over
 * the whole generation but not the prompt.
 */
public record SamplerParams(float temperature, int topK, float topP, float minP,
                            float repeatPenalty, int repeatLastN, long seed,
                            float presencePenalty, float frequencyPenalty) {

    public static final SamplerParams DEFAULTS = new SamplerParams(0.8f, 40, 0.95f, 0.05f, 1.0f, 64, 0x5eed);
    public static final SamplerParams GREEDY = new SamplerParams(0f, 0, 1f, 0f, 1f, 64, 0);

    public SamplerParams {
        check(!Float.isNaN(temperature), "temperature", temperature);
        check(topK >= 0, "top-k", topK);
        check(topP > 0 && topP <= 1, "top-p (0 < p <= 1)", topP);
        check(minP >= 0 && minP <= 1, "min-p (0 <= p <= 1)", minP);
        check(repeatPenalty > 0 && Float.isFinite(repeatPenalty), "repeat penalty (> 0)", repeatPenalty);
        check(repeatLastN >= 0, "repeat-last-n", repeatLastN);
        check(Float.isFinite(presencePenalty), "presence penalty", presencePenalty);
        check(Float.isFinite(frequencyPenalty), "frequency penalty", frequencyPenalty);
    }

    /** Without presence or frequency penalty. */
    public SamplerParams(float temperature, int topK, float topP, float minP, float repeatPenalty, int repeatLastN, long seed) {
        this(temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed, 0f, 0f);
    }

    private static void check(boolean ok, String what, Object value) {
        if (!ok) throw new IllegalArgumentException("invalid " + what + ": " + value);
    }

    public SamplerParams withTemperature(float t) {
        return new SamplerParams(t, topK, topP, minP, repeatPenalty, repeatLastN, seed, presencePenalty, frequencyPenalty);
    }

    public SamplerParams withSeed(long s) {
        return new SamplerParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, s, presencePenalty, frequencyPenalty);
    }

    public SamplerParams withPenalties(float presence, float frequency) {
        return new SamplerParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed, presence, frequency);
    }
}
