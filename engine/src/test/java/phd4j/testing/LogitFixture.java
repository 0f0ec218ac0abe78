package phd4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import phd4j.Model;
import phd4j.Session;

/**
 * One model against a file of llama.cpp's logits (the JSON lines llama-logits and phd logits
 * print: prompt, tokens, logits at every prompt position, greedy ids): checks each case within a
 * tolerance and keeps the worst difference and the greedy agreement for the summary line.
 */
public final class LogitFixture {
    private final Model model;
    private final String label;
    private final double tolerance;
    private double worst;
    private int greedyAgree, greedyTotal;

    public LogitFixture(Model model, String label, double tolerance) {
        this.model = model;
        this.label = label;
        this.tolerance = tolerance;
    }

    /**
     * The prompt's tokens, its logits at every position from one batch, and the greedy
     * continuation (equal to llama.cpp's if {@code greedyMustMatch}); returns the greedy ids.
     */
    public int[] checkBatch(Map<String, Object> c, boolean greedyMustMatch) {
        String prompt = (String) c.get("prompt");
        int[] tokens = Json.ints(c.get("tokens"));
        assertArrayEquals(tokens, model.tokenizer().encode(prompt, true, false), "prompt tokens of '" + prompt + "'");
        int[] expectGreedy = Json.ints(c.get("greedy"));
        List<?> expectLogits = (List<?>) c.get("logits");
        try (Session s = model.newSession(tokens.length + expectGreedy.length)) {
            float[][] logits = s.evaluateAll(tokens);
            assertEquals(expectLogits.size(), logits.length, "positions");
            for (int p = 0; p < logits.length; p++) compare(Json.floats(expectLogits.get(p)), logits[p], "'" + prompt + "' position " + p);
            int[] greedy = greedy(s, logits[logits.length - 1], expectGreedy.length);
            for (int i = 0; i < greedy.length && greedy[i] == expectGreedy[i]; i++) greedyAgree++;
            greedyTotal += greedy.length;
            if (greedyMustMatch) assertArrayEquals(expectGreedy, greedy, "greedy continuation of '" + prompt + "'");
            return greedy;
        }
    }

    /** The decode path: the prompt one token at a time, every earlier key from the cache. */
    public void checkDecoding(Map<String, Object> c) {
        String prompt = (String) c.get("prompt");
        int[] tokens = Json.ints(c.get("tokens"));
        List<?> expectLogits = (List<?>) c.get("logits");
        try (Session s = model.newSession(tokens.length)) {
            for (int p = 0; p < tokens.length; p++) {
                compare(Json.floats(expectLogits.get(p)), s.evaluate(new int[] {tokens[p]}), "'" + prompt + "' decoding position " + p);
            }
        }
    }

    /** "max |logit diff| D, greedy agreement A/T", for the test's log line. */
    public String summary() {
        return String.format("max |logit diff| %.3g, greedy prefix agreement %d/%d", worst, greedyAgree, greedyTotal);
    }

    private void compare(float[] expect, float[] got, String where) {
        assertEquals(expect.length, got.length, "vocabulary size");
        double diff = 0;
        for (int i = 0; i < expect.length; i++) diff = Math.max(diff, Math.abs((double) expect[i] - got[i]));
        worst = Math.max(worst, diff);
        double d = diff;
        assertTrue(diff <= tolerance, () -> label + " " + where + ": max |diff| " + d + " > " + tolerance);
    }

    private static int[] greedy(Session s, float[] first, int n) {
        int[] out = new int[n];
        float[] next = first;
        for (int i = 0; i < n; i++) {
            out[i] = argmax(next);
            if (i + 1 < n) next = s.evaluate(new int[] {out[i]});
        }
        return out;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
