package phd4j.phd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.Model;
import phd4j.Session;
import phd4j.gguf.GgufFile;
import phd4j.phd.DenseReference.Settings;
import phd4j.testing.RandomModels;
import phd4j.testing.RandomModels.Spec;

/** Random GGUF models load in the engine, and its vanilla (K=1) path agrees with the dense reference. */
class RandomModelsTest {
    @TempDir
    Path dir;

    static int[] randomTokens(long seed, int n, int vocab) {
        Random r = new Random(seed);
        int[] t = new int[n];
        t[0] = RandomModels.BOS;
        for (int i = 1; i < n; i++) t[i] = 3 + r.nextInt(vocab - 3);
        return t;
    }

    @Test
    void loadsAndK1MatchesTheReference() {
        for (Spec spec : new Spec[] {
                Spec.of(32, 2, 4, 4, 64, 300, 128, 1),
                Spec.of(48, 2, 6, 2, 96, 310, 128, 2).tied()}) {
            Path file = RandomModels.write(dir, spec);
            DenseReference ref = DenseReference.load(file);
            int[] tokens = randomTokens(spec.seed(), 23, spec.vocab());
            double[][] expect = ref.logits(Settings.phd(1), tokens);
            double spread = 0;
            try (Model model = Model.load(file, 2); Session s = model.newSession(64)) {
                assertEquals(spec.vocab(), model.config().shape().vocab());
                assertEquals(spec.kvHeads(), model.config().shape().kvHeads());
                assertEquals("hello world", model.tokenizer().decode(model.tokenizer().encode("hello world", false, false)).strip()); // SPM adds a space prefix
                float[][] got = s.evaluateAll(tokens);
                double worst = 0;
                for (int p = 0; p < tokens.length; p++) {
                    for (int v = 0; v < spec.vocab(); v++) {
                        worst = Math.max(worst, Math.abs(got[p][v] - expect[p][v]));
                        spread = Math.max(spread, Math.abs(expect[p][v]));
                    }
                }
                System.out.printf("%s: engine K=1 vs reference max |diff| %.3g (max |logit| %.3g)%n", spec.fileName(), worst, spread);
                assertTrue(worst <= 1e-4, spec.fileName() + ": max |diff| " + worst);
            }
            // logits O(1): neither vanishing nor huge
            assertTrue(spread > 0.5 && spread < 50, "logit scale " + spread);
        }
    }

    @Test
    void writesThePhdKeys() {
        Path file = RandomModels.write(dir, Spec.of(16, 1, 2, 1, 32, 270, 32, 3).withPhd(3, "phd-cswa", 4, 8));
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(3, f.getInt("phd.repeat"));
            assertEquals("phd-cswa", f.getString("phd.variant"));
            assertEquals(4, f.getInt("phd.window"));
            assertEquals(8, f.getInt("phd.chunk"));
        }
        try (Model model = Model.load(file, 1); Session s = model.newSession(16)) {
            assertEquals(270, s.evaluate(new int[] {1, 5, 6}).length);
        }
    }
}
