package phd4j.sample;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * llama.cpp's sampler chain, in its order: repetition penalty over the last N accepted tokens,
 * OpenAI's presence and frequency penalties over the generated ones, then greedy (temperature <= 0) or top-k -> top-p -> min-p -> temperature -> a draw from a
 * seeded generator, so a run with the same seed repeats. One sampler per session (not thread-safe).
 */
public final class Sampler {
    private final SamplerParams params;
    private final SplittableRandom random;
    private final int[] recent;      // ring of the last repeatLastN accepted tokens
    private int recentCount;
    private int recentNext;
    private int[] generatedCounts = new int[0]; // by token id: times generated, for the presence and frequency penalties
    private int[] generatedDistinct = new int[0]; // the ids with a count, in order of their first generation
    private int distinctCount;

    // Scratch reused between calls.
    private float[] penalized = new float[0]; // [n] logits after the repetition penalty, by token id
    private long[] keys = new long[0];        // [n] sort keys: descending logit, then ascending id
    private int[] candIds = new int[0];       // [count] surviving candidates, best first
    private float[] candVals = new float[0];  // [count] their logits or probabilities

    public Sampler(SamplerParams params) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
        this.recent = new int[params.repeatLastN()];
    }

    public SamplerParams params() {
        return params;
    }

    /** Records a token (prompt or generated) for the repetition penalty. */
    public void accept(int token) {
        if (recent.length == 0) return;
        recent[recentNext] = token;
        recentNext = (recentNext + 1) % recent.length;
        recentCount = Math.min(recentCount + 1, recent.length);
    }

    /** Records a generated token: for the repetition penalty as {@link #accept}, and for the presence and frequency penalties. */
    public void acceptGenerated(int token) {
        accept(token);
        if (params.presencePenalty() == 0 && params.frequencyPenalty() == 0) return;
        if (token >= generatedCounts.length) generatedCounts = Arrays.copyOf(generatedCounts, Math.max(token + 1, 2 * generatedCounts.length));
        if (generatedCounts[token]++ == 0) {
            if (distinctCount == generatedDistinct.length) generatedDistinct = Arrays.copyOf(generatedDistinct, Math.max(16, 2 * distinctCount));
            generatedDistinct[distinctCount++] = token;
        }
    }

    /** Picks the next token from logits[offset .. offset + n); the logits are not modified. */
    public int sample(float[] logits, int offset, int n) {
        ensureCapacity(n);
        System.arraycopy(logits, offset, penalized, 0, n);
        applyRepeatPenalty(n);
        applyPresenceAndFrequencyPenalties(n);
        if (params.temperature() <= 0) return argmax(n);

        int count = params.topK() > 0 ? Math.min(params.topK(), n) : n;
        selectBest(n, count);
        float[] logitsOfCands = Arrays.copyOf(candVals, count);
        softmax(count);
        count = topP(count);
        count = minP(count);
        for (int i = 0; i < count; i++) candVals[i] = logitsOfCands[i] / params.temperature();
        softmax(count);
        double r = random.nextDouble();
        double cum = 0;
        for (int i = 0; i < count; i++) {
            cum += candVals[i];
            if (r < cum) return candIds[i];
        }
        return candIds[count - 1];
    }

    private void ensureCapacity(int n) {
        if (penalized.length < n) {
            penalized = new float[n];
            keys = new long[n];
            candIds = new int[n];
            candVals = new float[n];
        }
    }

    /** llama.cpp's rule, once per distinct recent token: a positive logit is divided by the penalty, a negative one multiplied. */
    private void applyRepeatPenalty(int n) {
        float penalty = params.repeatPenalty();
        if (penalty == 1f) return;
        for (int i = 0; i < recentCount; i++) {
            int t = recent[i];
            if (t < 0 || t >= n || seenEarlier(i, t)) continue;
            penalized[t] = penalized[t] > 0 ? penalized[t] / penalty : penalized[t] * penalty;
        }
    }

    /** OpenAI's rule: logit -= count * frequency + (count > 0) * presence, count over the generated tokens. */
    private void applyPresenceAndFrequencyPenalties(int n) {
        for (int i = 0; i < distinctCount; i++) {
            int t = generatedDistinct[i];
            if (t < n) penalized[t] -= generatedCounts[t] * params.frequencyPenalty() + params.presencePenalty();
        }
    }

    private boolean seenEarlier(int index, int token) {
        for (int j = 0; j < index; j++) if (recent[j] == token) return true;
        return false;
    }

    private int argmax(int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (penalized[i] > penalized[best]) best = i;
        return best;
    }

    /**
     * Puts the best `count` of n tokens, descending by logit (ties: lower id first), in
     * candIds/candVals. For top-k (count < n) a max-heap of the `count` best keys so far
     * rejects most tokens with one comparison: sorting a 32000-token vocabulary for every
     * sampled token took longer than a decode step of a small model.
     */
    private void selectBest(int n, int count) {
        int size = 0;   // for count < n: keys[0 .. size) is a max-heap of the best keys seen (smallest = best)
        for (int i = 0; i < n; i++) {
            int bits = Float.floatToIntBits(penalized[i]);
            int ordered = bits >= 0 ? bits : bits ^ 0x7fffffff; // increases with the float value
            long key = ((long) ~ordered << 32) | i;              // ascending = best first
            if (count == n) {                                    // every token survives: just sort
                keys[i] = key;
            } else if (size < count) {
                keys[size] = key;
                siftUp(size++);
            } else if (key < keys[0]) {
                keys[0] = key;
                siftDown(0, size);
            }
        }
        Arrays.sort(keys, 0, count);
        for (int i = 0; i < count; i++) {
            candIds[i] = (int) keys[i];
            candVals[i] = penalized[candIds[i]];
        }
    }

    /** The ids selectBest picks, best first (for tests). */
    int[] bestIds(float[] logits, int count) {
        ensureCapacity(logits.length);
        System.arraycopy(logits, 0, penalized, 0, logits.length);
        selectBest(logits.length, count);
        return Arrays.copyOf(candIds, count);
    }

    private void siftUp(int i) {
        long k = keys[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] >= k) break;
            keys[i] = keys[parent];
            i = parent;
        }
        keys[i] = k;
    }

    private void siftDown(int i, int size) {
        long k = keys[i];
        for (int child = 2 * i + 1; child < size; child = 2 * i + 1) {
            if (child + 1 < size && keys[child + 1] > keys[child]) child++;
            if (keys[child] <= k) break;
            keys[i] = keys[child];
            i = child;
        }
        keys[i] = k;
    }

    private void softmax(int count) {
        float max = candVals[0];
        for (int i = 1; i < count; i++) max = Math.max(max, candVals[i]);
        double sum = 0;
        for (int i = 0; i < count; i++) {
            candVals[i] = (float) Math.exp(candVals[i] - max);
            sum += candVals[i];
        }
        for (int i = 0; i < count; i++) candVals[i] = (float) (candVals[i] / sum);
    }

    /** Keeps the smallest prefix whose probability mass reaches top-p. */
    private int topP(int count) {
        if (params.topP() >= 1f) return count;
        double cum = 0;
        for (int i = 0; i < count; i++) {
            cum += candVals[i];
            if (cum >= params.topP()) return i + 1;
        }
        return count;
    }

    /** Keeps candidates whose probability is at least min-p times the best one's. */
    private int minP(int count) {
        if (params.minP() <= 0f) return count;
        float threshold = candVals[0] * params.minP();
        int keep = 1;
        while (keep < count && candVals[keep] >= threshold) keep++;
        return keep;
    }
}
