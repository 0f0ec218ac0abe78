package phd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.convert.Progress;
import phd4j.simd.GgmlType;
import phd4j.synth.Arch;
import phd4j.model.ModelShape;
import phd4j.synth.SyntheticModel;

/** The meanings of GenerationParams.maxTokens (-1, 0, N) and of keepOutput, as documented there. */
class GenerationLimitsTest {
    @TempDir static Path dir;
    static Model model;
    static final int[] PROMPT = {1, 40, 41, 42, 43};

    @BeforeAll
    static void load() {
        Path file = dir.resolve("tiny.gguf");
        SyntheticModel.write(file, new SyntheticModel.Options(Arch.LLAMA, ModelShape.parse("32,1,2,1,64,260"), GgmlType.F32, 5, 64, null, null), Progress.NONE);
        model = Model.load(file, 1);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static GenerationResult generate(int ctx, GenerationParams params, TokenListener listener) {
        try (Session s = model.newSession(ctx)) {
            return s.generate(PROMPT, params.withIgnoreEos(true), listener);
        }
    }

    @Test
    void zeroFillsWhatTheContextHasLeftAfterThePrompt() {
        GenerationResult r = generate(32, GenerationParams.greedy(GenerationParams.UNTIL_CONTEXT_FULL), TokenListener.NONE);
        assertEquals(32 - PROMPT.length, r.generatedTokens());
        assertEquals(GenerationResult.StopReason.MAX_TOKENS, r.stopReason());
        assertEquals(r.generatedTokens(), r.tokens().length, "a bounded generation keeps its output");
    }

    @Test
    void zeroWithAFullContextStillGivesOneToken() {
        GenerationResult r = generate(PROMPT.length, GenerationParams.greedy(0), TokenListener.NONE);
        assertEquals(1, r.generatedTokens());
    }

    @Test
    void unboundedGoesOnPastTheContextAndKeepsNothing() {
        long[] seen = {0};
        GenerationResult r = generate(16, GenerationParams.greedy(GenerationParams.UNBOUNDED), (t, p) -> ++seen[0] < 1000);
        assertEquals(GenerationResult.StopReason.LISTENER, r.stopReason(), "only the listener stopped it");
        assertEquals(1000, r.generatedTokens());
        assertEquals(0, r.tokens().length);
        assertEquals("", r.text());
    }

    @Test
    void unboundedKeepsItsOutputWhenAsked() {
        long[] seen = {0};
        GenerationResult kept = generate(16, GenerationParams.greedy(-1).withKeepOutput(true), (t, p) -> ++seen[0] < 100);
        assertEquals(100, kept.tokens().length);
        GenerationResult bounded = generate(16, GenerationParams.greedy(100), TokenListener.NONE);
        assertEquals(GenerationResult.StopReason.MAX_TOKENS, bounded.stopReason());
        assertEquals(java.util.Arrays.toString(bounded.tokens()), java.util.Arrays.toString(kept.tokens()), "same greedy tokens either way");
        assertEquals(bounded.text(), kept.text());
    }

    @Test
    void belowMinusOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> GenerationParams.greedy(-2));
    }

    /** Positions are ints: the last one is refused before anything is evaluated, with what to do. */
    @Test
    void aSessionStopsAtTheLastIntPositionWithOneLine() throws Exception {
        try (Session s = model.newSession(16)) {
            java.lang.reflect.Field position = Session.class.getDeclaredField("position");
            position.setAccessible(true);
            position.setInt(s, Integer.MAX_VALUE - 3);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.evaluate(PROMPT));
            assertEquals("this session is at position 2147483644: 5 more would pass the last one, 2^31 - 1; start a new session", e.getMessage());
            assertEquals(Integer.MAX_VALUE - 3, s.position(), "nothing was evaluated");
            s.evaluate(new int[] {40, 41}); // two more still fit
            assertEquals(Integer.MAX_VALUE - 1, s.position());
            BatchDecoder decoder = model.newBatchDecoder(1, 8);
            Generation g = s.start(new int[] {42, 43}, GenerationParams.greedy(4).withIgnoreEos(true), TokenListener.NONE);
            assertThrows(IllegalStateException.class, () -> decoder.step(java.util.List.of(g), 8), "nor in a batched pass");
            assertEquals(Integer.MAX_VALUE - 1, s.position());
        }
    }
}
