package phd4j;

import java.util.List;
import phd4j.sample.SamplerParams;

/**
 * What one {@link Session#generate} call does: at most {@code maxTokens} new tokens, sampled with
 * {@code sampler}, stopping early at an end-of-generation token (unless {@code ignoreEos}), at any
 * of {@code stopTokens}, or when the text produced contains one of {@code stopStrings} (the stop
 * string itself is not returned). {@code maxTokens} is the one place its special values mean
 * something: {@link #UNBOUNDED} (-1) never stops for length, it goes on past the context in the
 * KV ring; {@link #UNTIL_CONTEXT_FULL} (0) stops when the tokens generated fill what the context
 * had left after the prompt (at least one); N > 0 stops after N.
 *
 * <p>{@code keepOutput}: whether the {@link GenerationResult} holds the generated tokens and
 * text. Without it a generation keeps only counts, so a stream that runs for days runs in
 * constant memory; the 5-argument constructor keeps the output of every bounded generation and
 * not that of an {@link #UNBOUNDED} one ({@link #withKeepOutput} asks otherwise).
 */
public record GenerationParams(int maxTokens, SamplerParams sampler, List<String> stopStrings,
                               List<Integer> stopTokens, boolean ignoreEos, boolean keepOutput) {
    /** {@code maxTokens}: no limit; only an end-of-generation or stop token, a stop string or the listener ends it. */
    public static final int UNBOUNDED = -1;
    /** {@code maxTokens}: as many tokens as fit in the context after the prompt. */
    public static final int UNTIL_CONTEXT_FULL = 0;

    public GenerationParams {
        if (maxTokens < UNBOUNDED) throw new IllegalArgumentException("maxTokens must be -1 (unbounded), 0 (until the context is full) or more, is " + maxTokens);
        stopStrings = List.copyOf(stopStrings);
        stopTokens = List.copyOf(stopTokens);
        for (String s : stopStrings) if (s.isEmpty()) throw new IllegalArgumentException("empty stop string");
    }

    /** Keeps the output unless the generation is {@link #UNBOUNDED}. */
    public GenerationParams(int maxTokens, SamplerParams sampler, List<String> stopStrings, List<Integer> stopTokens, boolean ignoreEos) {
        this(maxTokens, sampler, stopStrings, stopTokens, ignoreEos, maxTokens != UNBOUNDED);
    }

    public static GenerationParams of(int maxTokens, SamplerParams sampler) {
        return new GenerationParams(maxTokens, sampler, List.of(), List.of(), false);
    }

    public static GenerationParams greedy(int maxTokens) {
        return of(maxTokens, SamplerParams.GREEDY);
    }

    public GenerationParams withStopStrings(List<String> stops) {
        return new GenerationParams(maxTokens, sampler, stops, stopTokens, ignoreEos, keepOutput);
    }

    public GenerationParams withStopTokens(List<Integer> stops) {
        return new GenerationParams(maxTokens, sampler, stopStrings, stops, ignoreEos, keepOutput);
    }

    public GenerationParams withIgnoreEos(boolean ignore) {
        return new GenerationParams(maxTokens, sampler, stopStrings, stopTokens, ignore, keepOutput);
    }

    public GenerationParams withKeepOutput(boolean keep) {
        return new GenerationParams(maxTokens, sampler, stopStrings, stopTokens, ignoreEos, keep);
    }
}
