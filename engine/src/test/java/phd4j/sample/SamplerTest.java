package phd4j.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final float[] LOGITS = {1f, 3f, 2f, 5f, 4f, -1f, 0f, 4.5f};

    private static int[] draw(SamplerParams p, int n) {
        Sampler s = new Sampler(p);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = s.sample(LOGITS, 0, LOGITS.length);
        return out;
    }

    @Test
    void greedyPicksTheLargestLogit() {
        assertEquals(3, new Sampler(SamplerParams.GREEDY).sample(LOGITS, 0, LOGITS.length));
        float[] shifted = {9f, 9f, 1f, 2f, 0f, 3f};
        assertEquals(3, new Sampler(SamplerParams.GREEDY).sample(shifted, 2, 4), "offset respected, ties to the lowest id");
    }

    @Test
    void sameSeedSameTokensOtherSeedOtherTokens() {
        SamplerParams p = new SamplerParams(1.5f, 0, 1f, 0f, 1f, 64, 42);
        assertArrayEquals(draw(p, 200), draw(p, 200));
        assertNotEquals(java.util.Arrays.toString(draw(p, 200)), java.util.Arrays.toString(draw(p.withSeed(43), 200)));
    }

    @Test
    void topKKeepsOnlyTheKBest() {
        Set<Integer> seen = new HashSet<>();
        for (int t : draw(new SamplerParams(5f, 2, 1f, 0f, 1f, 64, 1), 500)) seen.add(t);
        assertEquals(Set.of(3, 7), seen);
    }

    @Test
    void heapSelectionEqualsAFullSort() {
        Random r = new Random(9);
        for (int n : new int[] {1, 7, 100, 32000}) {
            float[] logits = new float[n];
            for (int i = 0; i < n; i++) logits[i] = r.nextInt(50) / 4f - 5;   // many ties
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
            for (int k : new int[] {1, 2, 40, n}) {
                if (k > n) continue;
                int[] expected = new int[k];
                for (int i = 0; i < k; i++) expected[i] = order[i];
                assertArrayEquals(expected, new Sampler(SamplerParams.DEFAULTS).bestIds(logits, k), "n " + n + " k " + k);
            }
        }
    }

    @Test
    void topPKeepsTheSmallestPrefixReachingP() {
        // softmax of {5, 4.5, 4, ...}: p(5) ~ 0.43, so top-p 0.4 keeps only the best token.
        for (int t : draw(new SamplerParams(1f, 0, 0.4f, 0f, 1f, 64, 7), 200)) assertEquals(3, t);
    }

    @Test
    void minPDropsTokensFarBelowTheBest() {
        // p(x)/p(best) = e^(x - 5): min-p 0.5 keeps 5 and 4.5 (0.61) but not 4 (0.37).
        Set<Integer> seen = new HashSet<>();
        for (int t : draw(new SamplerParams(1f, 0, 1f, 0.5f, 1f, 64, 3), 500)) seen.add(t);
        assertEquals(Set.of(3, 7), seen);
    }

    @Test
    void repetitionPenaltyTurnsGreedyAway() {
        Sampler s = new Sampler(new SamplerParams(0f, 0, 1f, 0f, 2f, 4, 0));
        s.accept(3);
        assertEquals(7, s.sample(LOGITS, 0, LOGITS.length), "5/2 = 2.5 < 4.5");
        for (int i = 0; i < 4; i++) s.accept(0); // 3 falls out of the window of 4
        assertEquals(3, s.sample(LOGITS, 0, LOGITS.length));
    }

    @Test
    void presenceAndFrequencyPenaltiesCountGeneratedTokensOnly() {
        // LOGITS: 3 -> 5, 7 -> 4.5, 4 -> 4
        Sampler presence = new Sampler(new SamplerParams(0f, 0, 1f, 0f, 1f, 64, 0, 0.4f, 0f));
        for (int i = 0; i < 5; i++) presence.accept(3); // prompt tokens: no penalty
        assertEquals(3, presence.sample(LOGITS, 0, LOGITS.length));
        presence.acceptGenerated(3);
        assertEquals(3, presence.sample(LOGITS, 0, LOGITS.length), "5 - 0.4 > 4.5");
        presence.acceptGenerated(3);
        assertEquals(3, presence.sample(LOGITS, 0, LOGITS.length), "presence counts once: still 4.6");
        presence = new Sampler(new SamplerParams(0f, 0, 1f, 0f, 1f, 64, 0, 0.6f, 0f));
        presence.acceptGenerated(3);
        assertEquals(7, presence.sample(LOGITS, 0, LOGITS.length), "5 - 0.6 < 4.5");

        Sampler frequency = new Sampler(new SamplerParams(0f, 0, 1f, 0f, 1f, 64, 0, 0f, 0.3f));
        frequency.acceptGenerated(3);
        assertEquals(3, frequency.sample(LOGITS, 0, LOGITS.length), "5 - 0.3 > 4.5");
        frequency.acceptGenerated(3);
        assertEquals(7, frequency.sample(LOGITS, 0, LOGITS.length), "5 - 0.6 < 4.5");
        frequency.acceptGenerated(7);
        frequency.acceptGenerated(7);
        assertEquals(3, frequency.sample(LOGITS, 0, LOGITS.length), "4.4 > 4 > 3.9");
        frequency.acceptGenerated(3);
        frequency.acceptGenerated(3);
        assertEquals(4, frequency.sample(LOGITS, 0, LOGITS.length), "5 - 1.2 < 4 > 3.9: token 4 now leads");

        Sampler negative = new Sampler(new SamplerParams(0f, 0, 1f, 0f, 1f, 64, 0, -1f, 0f));
        negative.acceptGenerated(0);
        assertEquals(3, negative.sample(LOGITS, 0, LOGITS.length), "a negative penalty favours: 1 + 1 < 5");
        for (int i = 0; i < 3; i++) negative.acceptGenerated(7);
        assertEquals(7, negative.sample(LOGITS, 0, LOGITS.length), "4.5 + 1 > 5");
    }

    @Test
    void tokenLogprobsAreTheLogSoftmax() {
        double z = 0;
        for (float l : LOGITS) z += Math.exp(l);
        TokenLogprob lp = TokenLogprob.of(LOGITS, 0, LOGITS.length, 4, 3);
        assertEquals(Math.log(Math.exp(4) / z), lp.logprob(), 1e-6);
        assertArrayEquals(new int[] {3, 7, 4}, lp.topTokens());
        for (int i = 0; i < 3; i++) assertEquals(Math.log(Math.exp(LOGITS[lp.topTokens()[i]]) / z), lp.topLogprobs()[i], 1e-6);
        float[] ties = {9f, 1f, 2f, 2f, 0f, 2f};
        assertArrayEquals(new int[] {1, 2}, TokenLogprob.of(ties, 1, 5, 0, 2).topTokens(), "offset respected, ties to the lower id");
        assertEquals(0, TokenLogprob.of(ties, 1, 5, 0, 0).topTokens().length);
        assertEquals(5, TokenLogprob.of(ties, 1, 5, 0, 20).topTokens().length, "no more than the vocabulary");
        assertThrows(IllegalArgumentException.class, () -> TokenLogprob.of(ties, 1, 5, 5, 1));
    }

    @Test
    void lowTemperatureApproachesGreedyHighTemperatureSpreads() {
        for (int t : draw(new SamplerParams(0.01f, 0, 1f, 0f, 1f, 64, 5), 100)) assertEquals(3, t);
        Set<Integer> seen = new HashSet<>();
        for (int t : draw(new SamplerParams(100f, 0, 1f, 0f, 1f, 64, 5), 1000)) seen.add(t);
        assertTrue(seen.size() == LOGITS.length, "all tokens drawn at a very high temperature: " + seen);
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new SamplerParams(1f, -1, 1f, 0f, 1f, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplerParams(1f, 0, 0f, 0f, 1f, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplerParams(1f, 0, 1f, 2f, 1f, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplerParams(1f, 0, 1f, 0f, 0f, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplerParams(1f, 0, 1f, 0f, 1f, 64, 0, Float.NaN, 0f));
    }
}
