package phd4j;

import java.util.List;
import phd4j.sample.SamplerParams;

/**
 * What one {@link Session#generate} call does: at most {@code maxTokens} new tokens (0 = until
 * the context is full), sampled with {@code sampler}, stopping early at an end-of-generation
 * token (unless {@code ignoreEos}), at any of {@code stopTokens}, or when the text produced
 * contains one of {@code stopStrings} (the stop string itself is not returned).
 */
public record GenerationParams(int maxTokens, SamplerParams sampler, List<String> stopStrings,
                               List<Integer> stopTokens, boolean ignoreEos) {
    public GenerationParams {
        if (maxTokens < 0) throw new IllegalArgumentException("maxTokens must be >= 0, is " + maxTokens);
        stopStrings = List.copyOf(stopStrings);
        stopTokens = List.copyOf(stopTokens);
        for (String s : stopStrings) if (s.isEmpty()) throw new IllegalArgumentException("empty stop string");
    }

    public static GenerationParams of(int maxTokens, SamplerParams sampler) {
        return new GenerationParams(maxTokens, sampler, List.of(), List.of(), false);
    }

    public static GenerationParams greedy(int maxTokens) {
        return of(maxTokens, SamplerParams.GREEDY);
    }

    public GenerationParams withStopStrings(List<String> stops) {
        return new GenerationParams(maxTokens, sampler, stops, stopTokens, ignoreEos);
    }

    public GenerationParams withStopTokens(List<Integer> stops) {
        return new GenerationParams(maxTokens, sampler, stopStrings, stops, ignoreEos);
    }

    public GenerationParams withIgnoreEos(boolean ignore) {
        return new GenerationParams(maxTokens, sampler, stopStrings, stopTokens, ignore);
    }
}
