package phd4j.phd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.Model;
import phd4j.Session;
import phd4j.phd.DenseReference.Settings;
import phd4j.testing.Json;
import phd4j.testing.RandomModels;
import phd4j.testing.RandomModels.Spec;
import phd4j.testing.SharedFiles;

/**
 * The engine's PHD path against the test-side references: {@link DenseReference} (every prompt
 * position, greedy continuations through the cached decode path), the shared float64 fixture,
 * the prefill row counts of DESIGN.md section 2, and {@link StreamingReference} once the
 * original-token ring is full.
 */
class PhdEngineVsReferenceTest {
    static final double TOLERANCE = 1e-4;
    static final int CONTINUATION = 40;

    @TempDir
    static Path dir;

    static final Spec MHA = Spec.of(32, 2, 4, 4, 64, 300, 256, 21);          // no GQA
    static final Spec GQA = Spec.of(48, 2, 6, 2, 96, 310, 256, 22).tied();   // GQA 6/2, tied output
    static Path mhaFile, gqaFile;
    static DenseReference mhaRef, gqaRef;

    @BeforeAll
    static void writeModels() {
        mhaFile = RandomModels.write(dir, MHA);
        gqaFile = RandomModels.write(dir, GQA);
        mhaRef = DenseReference.load(mhaFile);
        gqaRef = DenseReference.load(gqaFile);
    }

    static PhdConfig config(Settings s) {
        PhdConfig.Variant v = switch (s.variant()) {
            case PHD -> PhdConfig.Variant.PHD;
            case SWA -> PhdConfig.Variant.SWA;
            case CSWA -> PhdConfig.Variant.CSWA;
        };
        // as PhdConfig.fromGguf normalizes: W only for SWA/CSWA, C only for CSWA
        return new PhdConfig(s.k(), v, v == PhdConfig.Variant.PHD ? 0 : s.window(), v == PhdConfig.Variant.CSWA ? s.chunk() : 0);
    }

    /** One engine-vs-reference case: a model, settings, prompt lengths, and whether to run the 40-token continuation. */
    record Case(boolean gqa, Settings settings, int[] promptLengths, boolean continuation) {}

    // A representative subset of K in 1..5, W in {1, 2, 5}, C in {1, 3, 4, 8}; prompt lengths end
    // on a chunk boundary (a multiple of C) and mid-chunk.
    static final List<Case> CASES = List.of(
            new Case(false, Settings.phd(1), new int[] {13}, true),
            new Case(false, Settings.phd(2), new int[] {9, 16}, true),
            new Case(true, Settings.phd(3), new int[] {11}, true),
            new Case(true, Settings.phd(5), new int[] {7}, false),
            new Case(false, Settings.swa(2, 1), new int[] {10}, true),
            new Case(true, Settings.swa(3, 5), new int[] {12, 5}, true),
            new Case(false, Settings.swa(4, 2), new int[] {9}, false),
            new Case(false, Settings.cswa(2, 2, 4), new int[] {12, 14}, true),
            new Case(true, Settings.cswa(3, 5, 3), new int[] {9, 10}, true),
            new Case(false, Settings.cswa(5, 2, 8), new int[] {16, 13}, false),
            new Case(true, Settings.cswa(4, 1, 1), new int[] {6}, false),
            new Case(false, Settings.cswa(3, 5, 4), new int[] {8, 11}, true));

    @Test
    void engineMatchesTheDenseReference() {
        StringBuilder report = new StringBuilder();
        double worstAll = 0;
        for (Case c : CASES) {
            Spec spec = c.gqa() ? GQA : MHA;
            DenseReference ref = c.gqa() ? gqaRef : mhaRef;
            String name = (c.gqa() ? "gqa " : "mha ") + c.settings();
            try (Model model = Model.load(c.gqa() ? gqaFile : mhaFile, 2, config(c.settings()))) {
                for (int li = 0; li < c.promptLengths().length; li++) {
                    int t = c.promptLengths()[li];
                    int[] prompt = RandomModelsTest.randomTokens(1000 + t, t, spec.vocab());
                    double[][] expect = ref.logits(c.settings(), prompt);
                    double worst = 0;

                    // every prompt position, one call
                    try (Session s = model.newSession(128)) {
                        float[][] got = s.evaluateAll(prompt);
                        assertEquals(t, got.length, name + " positions");
                        for (int p = 0; p < t; p++) worst = check(worst, expect[p], got[p], name + " T=" + t + " evaluateAll position " + p);
                    }
                    // the variant-minimal prefill, whole and split in two calls
                    try (Session s = model.newSession(128)) {
                        worst = check(worst, expect[t - 1], s.evaluate(prompt), name + " T=" + t + " evaluate(prompt)");
                    }
                    if (t > 2) {
                        try (Session s = model.newSession(128)) {
                            int cut = t / 2 + 1;
                            worst = check(worst, expect[cut - 1], s.evaluate(Arrays.copyOf(prompt, cut)), name + " T=" + t + " first part");
                            worst = check(worst, expect[t - 1], s.evaluate(Arrays.copyOfRange(prompt, cut, t)), name + " T=" + t + " second part");
                        }
                    }
                    // greedy continuation through single-token decode steps
                    if (c.continuation() && li == 0) {
                        try (Session s = model.newSession(128)) {
                            int[] seq = Arrays.copyOf(prompt, t + CONTINUATION);
                            float[] last = s.evaluate(prompt);
                            for (int i = 0; i < CONTINUATION; i++) {
                                int tok = argmax(last);
                                seq[t + i] = tok;
                                last = s.evaluate(new int[] {tok});
                                double[] e = ref.lastLogits(c.settings(), Arrays.copyOf(seq, t + i + 1));
                                worst = check(worst, e, last, name + " T=" + t + " decode step " + i + " (position " + (t + i) + ")");
                            }
                        }
                    }
                    report.append(String.format("  %-22s T=%-3d max |diff| %.3g%n", name, t, worst));
                    worstAll = Math.max(worstAll, worst);
                }
            }
        }
        System.out.print("engine vs dense reference:\n" + report);
        System.out.printf("engine vs dense reference: worst %.3g%n", worstAll);
    }

    /**
     * A prompt longer than the session's prompt batch runs as several forward passes, handing the
     * ring and the hidden window from one to the next; batches of any size (down to one position)
     * must give the dense reference's logits, for the variant-minimal prefill and for every position.
     */
    @Test
    void promptsSplitIntoBatchesOfAnySizeMatchTheReference() {
        List<Settings> settings = List.of(Settings.phd(3), Settings.swa(3, 5), Settings.swa(2, 1),
                Settings.cswa(3, 5, 3), Settings.cswa(2, 2, 4), Settings.cswa(4, 3, 8));
        int t = 17;
        int[] prompt = RandomModelsTest.randomTokens(77, t, GQA.vocab());
        for (Settings set : settings) {
            double[][] expect = gqaRef.logits(set, prompt);
            try (Model model = Model.load(gqaFile, 2, config(set))) {
                assertThrows(IllegalArgumentException.class, () -> model.newSession(64, 4, 0), "a prompt batch of 0 rows");
                assertThrows(IllegalArgumentException.class, () -> model.newSession(64, 4, Session.MAX_PROMPT_BATCH + 1), "too large a batch");
                for (int batch : new int[] {1, 4, 7, 16, 40}) {
                    String name = set + " batch " + batch;
                    try (Session s = model.newSession(64, 4, batch)) {
                        check(0, expect[t - 1], s.evaluate(prompt), name + " evaluate(prompt)");
                    }
                    try (Session s = model.newSession(64, 4, batch)) {
                        float[][] got = s.evaluateAll(prompt);
                        for (int p = 0; p < t; p++) check(0, expect[p], got[p], name + " evaluateAll position " + p);
                    }
                }
            }
        }
    }

    @Test
    void engineReproducesTheSharedFixture() throws Exception {
        Path modelFile = SharedFiles.file("models/tiny256/tiny256-F32.gguf");
        List<Map<String, Object>> cases = Json.lines(SharedFiles.file("fixtures/phd/tiny256-F32-phd.jsonl"));
        assertTrue(!cases.isEmpty());
        for (Map<String, Object> c : cases) {
            Settings set = DenseReferenceTest.settingsOf(c);
            int[] tokens = Json.ints(c.get("tokens"));
            List<?> expect = (List<?>) c.get("logits");
            try (Model model = Model.load(modelFile, 2, config(set)); Session s = model.newSession(64)) {
                float[][] got = s.evaluateAll(tokens);
                assertEquals(expect.size(), got.length, set + " positions");
                double worst = 0;
                for (int p = 0; p < got.length; p++) {
                    float[] e = Json.floats(expect.get(p));
                    for (int v = 0; v < e.length; v++) worst = Math.max(worst, Math.abs(e[v] - got[p][v]));
                    assertTrue(worst <= 1e-3, set + " position " + p + ": max |diff| " + worst);
                }
                System.out.printf("engine vs fixture %-18s max |diff| %.3g%n", set, worst);
            }
        }
    }

    @Test
    void prefillProcessesTheVariantMinimalRows() {
        int[] lengths = {1, 3, 4, 8, 12, 13};
        List<Settings> settings = List.of(Settings.phd(1), Settings.phd(3), Settings.swa(2, 3), Settings.swa(4, 1),
                Settings.cswa(3, 4, 4), Settings.cswa(2, 2, 3), Settings.cswa(4, 5, 8));
        for (Settings set : settings) {
            try (Model model = Model.load(mhaFile, 2, config(set))) {
                for (int t : lengths) {
                    int k = set.k();
                    // A hidden copy sees R = ceil(W / (K-1)) earlier positions, so through the model's
                    // two layers the last position's copies depend on those of 2R + 1 positions.
                    int cone = 2 * (set.variant() == DenseReference.Variant.PHD ? 0 : (set.window() + k - 2) / (k - 1)) + 1;
                    long expect = switch (set.variant()) {
                        case PHD -> t + (k - 1);                                      // originals + K-1 copies of the last position
                        case SWA -> t + (long) (k - 1) * Math.min(t, cone);          // the copies within reach
                        case CSWA -> t + (long) (k - 1) * Math.min(t - (t - 1) / set.chunk() * set.chunk(), cone); // and in the last chunk
                    };
                    try (Session s = model.newSession(64)) {
                        assertEquals(0, s.rowsProcessed(), set + " fresh session");
                        s.evaluate(RandomModelsTest.randomTokens(t, t, MHA.vocab()));
                        assertEquals(expect, s.rowsProcessed(), set + " prefill of " + t + " tokens");
                        s.evaluate(new int[] {5});
                        assertEquals(expect + k, s.rowsProcessed(), set + " one decode step after " + t + " tokens: K rows");
                    }
                }
            }
        }
    }

    @Test
    void phdKeysInTheFileAreUsedWithoutOverride() {
        Spec spec = Spec.of(32, 2, 4, 2, 64, 300, 128, 23).withPhd(3, "phd-cswa", 4, 8);
        Path file = RandomModels.write(dir, spec);
        Settings set = Settings.cswa(3, 4, 8);
        int[] prompt = RandomModelsTest.randomTokens(7, 13, spec.vocab());
        double[][] expect = DenseReference.load(file).logits(set, prompt);
        try (Model model = Model.load(file, 2, null); Session s = model.newSession(64)) {
            assertEquals(config(set), model.phd(), "settings read from phd.* keys");
            float[][] got = s.evaluateAll(prompt);
            double worst = 0;
            for (int p = 0; p < prompt.length; p++) worst = check(worst, expect[p], got[p], "file settings position " + p);
        }
        // the override wins over the file
        try (Model model = Model.load(file, 2, config(Settings.phd(2))); Session s = model.newSession(64)) {
            assertEquals(config(Settings.phd(2)), model.phd());
            check(0, DenseReference.load(file).lastLogits(Settings.phd(2), prompt), s.evaluate(prompt), "override");
        }
    }

    @Test
    void kvBytesArePhdEqualsVanillaPlusWHiddenEntries() {
        // DESIGN.md section 2: KV bytes for PHD = vanilla; SWA/CSWA add W entries (K and V) per layer.
        int ctx = 64, kvDim = MHA.kvHeads() * (MHA.dim() / MHA.heads());
        long vanilla = kvBytes(Settings.phd(1), ctx);
        assertEquals(2L * MHA.layers() * ctx * kvDim * Float.BYTES, vanilla, "vanilla: K and V of ctx originals per layer");
        assertEquals(vanilla, kvBytes(Settings.phd(4), ctx), "PHD-4");
        for (Settings set : List.of(Settings.swa(3, 5), Settings.cswa(2, 2, 4), Settings.cswa(4, 1, 8))) {
            assertEquals(vanilla + 2L * MHA.layers() * set.window() * kvDim * Float.BYTES, kvBytes(set, ctx), set.toString());
        }
    }

    static long kvBytes(Settings set, int ctx) {
        try (Model model = Model.load(mhaFile, 1, config(set)); Session s = model.newSession(ctx)) {
            s.evaluate(new int[] {1, 5, 6, 7, 8});
            return s.kvCacheBytes();
        }
    }

    @Test
    void ringBufferKeepsMemoryConstantAndMatchesStreamingReference() {
        int ctx = 64, keep = 4;
        long k1Bytes = -1;
        for (int k : new int[] {1, 2}) {
            StreamingReference ref = new StreamingReference(mhaRef, k, ctx, keep);
            try (Model model = Model.load(mhaFile, 2, config(Settings.phd(k))); Session s = model.newSession(ctx, keep)) {
                int[] prompt = RandomModelsTest.randomTokens(99, 5, MHA.vocab());
                double[] expect = null;
                for (int tok : prompt) expect = ref.step(tok);
                float[] got = s.evaluate(prompt);
                long bytes = s.kvCacheBytes();
                double worst = check(0, expect, got, "K=" + k + " prompt");
                for (int i = 0; i < 10 * ctx; i++) {
                    int tok = argmax(got);
                    got = s.evaluate(new int[] {tok});
                    expect = ref.step(tok);
                    worst = check(worst, expect, got, "K=" + k + " ring step " + i + " (position " + (prompt.length + i) + ")");
                    assertEquals(bytes, s.kvCacheBytes(), "K=" + k + " KV bytes at step " + i);
                }
                System.out.printf("ring ctx %d keep %d K=%d: %d tokens, KV %d bytes, max |diff| %.3g%n",
                        ctx, keep, k, ref.position(), bytes, worst);
                if (k == 1) k1Bytes = bytes;
                else assertEquals(k1Bytes, bytes, "PHD KV bytes = vanilla (DESIGN.md section 2)");
            }
        }
    }

    static double check(double worst, double[] expect, float[] got, String what) {
        assertEquals(expect.length, got.length, what + ": vocabulary size");
        double d = 0;
        for (int v = 0; v < got.length; v++) d = Math.max(d, Math.abs(got[v] - expect[v]));
        assertTrue(d <= TOLERANCE, what + ": max |diff| " + d + " > " + TOLERANCE);
        return Math.max(worst, d);
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
