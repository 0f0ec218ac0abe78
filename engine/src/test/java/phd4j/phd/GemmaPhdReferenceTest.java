package phd4j.phd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import phd4j.Model;
import phd4j.Session;
import phd4j.convert.Progress;
import phd4j.phd.DenseReference.Settings;
import phd4j.simd.GgmlType;
import phd4j.synth.Arch;
import phd4j.model.ModelShape;
import phd4j.synth.SyntheticModel;
import phd4j.testing.Json;

/**
 * PHD on the architectures with local (sliding-window) layers. On a local layer query (p, s)
 * sees key (q, t) iff the PHD rule allows it and q > p - window (the layer's window, in
 * positions); global layers use the PHD rule alone.
 *
 * <p>First {@link DenseReference} itself is checked at K=1 against llama.cpp's logits (the
 * fixtures ArchFixtureTest uses, on the same synthetic models), then the engine with K = 1, 2, 3
 * and every variant against the reference, with prompts longer than the synthetic models'
 * window of 3 so that the window cuts: the prompt as one batch, in batches of 4, through the
 * variant-minimal prefill (whole and split in two calls), and token by token (the decode path).
 */
class GemmaPhdReferenceTest {
    /** llama.cpp reads its CPU GELU from an f16 table at the f16-rounded input: ArchFixtureTest's bound for gemma. */
    static final double LLAMA_CPP_TOLERANCE = 5e-3;

    @TempDir
    static Path dir;

    /** The synthetic model ArchFixtureTest writes for this fixture (its dims table, seed 7, context 64, F32). */
    static Path write(String arch, String dims) {
        Path file = dir.resolve(arch + ".gguf");
        if (!file.toFile().exists()) {
            SyntheticModel.write(file, new SyntheticModel.Options(Arch.named(arch), ModelShape.parse(dims), GgmlType.F32, 7, 64, null, null),
                    Progress.NONE);
        }
        return file;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gemma2, '64,2,4,2,128,320,24'", "gemma3, '32,6,2,1,64,320,32'"})
    void referenceAtK1MatchesLlamaCpp(String arch, String dims) throws Exception {
        DenseReference ref = DenseReference.load(write(arch, dims));
        assertTrue(ref.window > 0 && ref.window < 10, arch + ": the synthetic model has a small sliding window");
        List<Map<String, Object>> cases = Json.lines(Path.of(getClass().getResource("/fixtures/arch/" + arch + ".jsonl").toURI()));
        assertTrue(!cases.isEmpty());
        double worst = 0;
        for (Map<String, Object> c : cases) {
            int[] tokens = Json.ints(c.get("tokens"));
            assertTrue(tokens.length > ref.window, "a prompt longer than the window");
            List<?> expect = (List<?>) c.get("logits");
            double[][] got = ref.logits(Settings.phd(1), tokens);
            assertEquals(expect.size(), got.length, "positions");
            for (int p = 0; p < got.length; p++) {
                double d = DenseReferenceTest.maxAbsDiff(Json.floats(expect.get(p)), got[p]);
                worst = Math.max(worst, d);
                assertTrue(d <= LLAMA_CPP_TOLERANCE, arch + " '" + c.get("prompt") + "' position " + p + ": max |diff| " + d);
            }
        }
        System.out.printf("reference K=1 vs llama.cpp %-7s max |logit diff| %.3g%n", arch, worst);
    }

    @Test
    void localMaskIsThePhdMaskAndThePositionWindow() {
        // PHD-SWA-2-3 on a local layer of window 2: keys at positions p-1 and p only.
        // Without the window p3.2 would see p1.2 and p2.2 as well (DenseReferenceTest.swaMaskK2W3ByHand).
        boolean[][] m = DenseReference.localMask(Settings.swa(2, 3), 4, 2);
        String[] expect = {
                /* p0.1 */ "1. .. .. ..",
                /* p0.2 */ "11 .. .. ..",
                /* p1.1 */ "1. 1. .. ..",
                /* p1.2 */ "11 11 .. ..",
                /* p2.1 */ ".. 1. 1. ..",
                /* p2.2 */ ".. 11 11 ..",
                /* p3.1 */ ".. .. 1. 1.",
                /* p3.2 */ ".. .. 11 11"};
        for (int i = 0; i < expect.length; i++) {
            StringBuilder got = new StringBuilder();
            for (boolean b : m[i]) got.append(b ? '1' : '.');
            assertEquals(expect[i].replace(" ", ""), got.toString(), "row p" + i / 2 + "." + (i % 2 + 1));
        }
    }

    /**
     * K=1 ties the engine to the reference more tightly than llama.cpp's f16 GELU allows. W = 2
     * stays inside the window of 3 positions; W = 5 reaches further back, so there the window
     * cuts the hidden tokens too.
     */
    static final List<Settings> SETTINGS = List.of(Settings.phd(1),
            Settings.phd(2), Settings.swa(2, 2), Settings.swa(2, 5), Settings.cswa(2, 2, 4), Settings.cswa(2, 5, 8),
            Settings.phd(3), Settings.swa(3, 2), Settings.swa(3, 5), Settings.cswa(3, 2, 4), Settings.cswa(3, 5, 8));

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gemma2, '64,2,4,2,128,320,24'", "gemma3, '32,6,2,1,64,320,32'"})
    void engineMatchesTheReference(String arch, String dims) {
        Path file = write(arch, dims);
        DenseReference ref = DenseReference.load(file);
        int t = 10;
        int[] prompt = RandomModelsTest.randomTokens(31, t, ref.vocabSize());
        StringBuilder report = new StringBuilder();
        double worstAll = 0;
        for (Settings set : SETTINGS) {
            String name = arch + " " + set;
            // the window cuts: some key the PHD rule allows is out of a local layer's window, a hidden one where W reaches past it
            boolean[][] phd = DenseReference.mask(set, t), local = DenseReference.localMask(set, t, ref.window);
            boolean cutsAny = false, cutsHidden = false;
            for (int i = 0; i < phd.length; i++) {
                for (int j = 0; j < phd.length; j++) {
                    if (phd[i][j] && !local[i][j]) {
                        cutsAny = true;
                        if (j % set.k() > 0) cutsHidden = true;
                    }
                }
            }
            assertTrue(cutsAny, name + ": the window cuts");
            if (set.variant() != DenseReference.Variant.PHD && set.window() > (ref.window - 1) * (set.k() - 1)) {
                assertTrue(cutsHidden, name + ": the window cuts hidden tokens");
            }

            double[][] expect = ref.logits(set, prompt);
            double worst = 0;
            try (Model model = Model.load(file, 2, PhdEngineVsReferenceTest.config(set))) {
                assertTrue(model.config().slidingWindow() != null, name + ": the engine sees local layers");
                // every position, one batch and batches of 4
                for (int batch : new int[] {Session.DEFAULT_PROMPT_BATCH, 4}) {
                    try (Session s = model.newSession(64, Session.defaultKeep(64), batch)) {
                        float[][] got = s.evaluateAll(prompt);
                        assertEquals(t, got.length, name + " positions");
                        for (int p = 0; p < t; p++) {
                            worst = PhdEngineVsReferenceTest.check(worst, expect[p], got[p], name + " evaluateAll batch " + batch + " position " + p);
                        }
                    }
                }
                // the variant-minimal prefill, whole and in two calls (the second starts with the caches of the first)
                try (Session s = model.newSession(64)) {
                    worst = PhdEngineVsReferenceTest.check(worst, expect[t - 1], s.evaluate(prompt), name + " evaluate(prompt)");
                }
                try (Session s = model.newSession(64)) {
                    int cut = 4;
                    worst = PhdEngineVsReferenceTest.check(worst, expect[cut - 1], s.evaluate(Arrays.copyOf(prompt, cut)), name + " first part");
                    worst = PhdEngineVsReferenceTest.check(worst, expect[t - 1], s.evaluate(Arrays.copyOfRange(prompt, cut, t)), name + " second part");
                }
                // token by token: each a decode step of K rows against the caches
                try (Session s = model.newSession(64)) {
                    for (int p = 0; p < t; p++) {
                        worst = PhdEngineVsReferenceTest.check(worst, expect[p], s.evaluate(new int[] {prompt[p]}), name + " decode position " + p);
                    }
                }
            }
            report.append(String.format("  %-22s T=%d max |diff| %.3g%n", name, t, worst));
            worstAll = Math.max(worstAll, worst);
        }
        System.out.print("engine vs dense reference, " + arch + ":\n" + report);
        System.out.printf("engine vs dense reference, %s: worst %.3g%n", arch, worstAll);
    }
}
