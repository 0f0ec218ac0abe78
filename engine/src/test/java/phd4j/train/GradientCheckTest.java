package phd4j.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.phd.DenseReference;
import phd4j.phd.PhdConfig;
import phd4j.simd.WorkerPool;

/**
 * The training forward against the test-side dense double-precision reference (DenseReference,
 * DESIGN.md's mask taken literally), and the hand-written backward against central finite
 * differences of that reference's loss, computed in double, for every variant with K in {1, 2, 3}.
 *
 * <p>Finite differences: the parameter is moved to the floats nearest theta +- h (h = 1e-3) and
 * the slope is (L+ - L-) / (theta+ - theta-) with both losses in double, so the only error is
 * truncation, O(h^2). The analytic gradient is the float model's. Bound, per checked element:
 * |analytic - numeric| <= 1e-3 * |numeric| + 2e-6 (the absolute part covers float rounding of
 * gradients near zero). Checked elements: in every parameter tensor, the one with the largest
 * analytic gradient and 2 random ones.
 */
class GradientCheckTest {
    static final int T = 6, B = 2;

    @TempDir
    Path dir;

    static DenseReference.Settings settings(PhdConfig p) {
        return switch (p.variant()) {
            case PHD -> DenseReference.Settings.phd(p.k());
            case SWA -> DenseReference.Settings.swa(p.k(), p.window());
            case CSWA -> DenseReference.Settings.cswa(p.k(), p.window(), p.chunk());
        };
    }

    /** Mean cross-entropy of the reference's copy-K logits over B sequences. */
    double referenceLoss(ModelSpec s, float[] params, int[] tokens, int[] targets) {
        Path f = dir.resolve("ref.gguf");
        GgufExport.write(f, s, params, null, "gradcheck");
        DenseReference ref = DenseReference.load(f);
        double loss = 0;
        for (int b = 0; b < B; b++) {
            int[] seq = java.util.Arrays.copyOfRange(tokens, b * T, (b + 1) * T);
            double[][] lg = ref.logits(settings(s.phd()), seq);
            for (int p = 0; p < T; p++) {
                double max = Double.NEGATIVE_INFINITY;
                for (double x : lg[p]) max = Math.max(max, x);
                double sum = 0;
                for (double x : lg[p]) sum += Math.exp(x - max);
                loss += Math.log(sum) + max - lg[p][targets[b * T + p]];
            }
        }
        return loss / (B * T);
    }

    @Test
    void forwardEqualsDenseReference() {
        try (WorkerPool pool = new WorkerPool(2)) {
            for (PhdConfig phd : TinyModels.variants()) {
                for (boolean tied : new boolean[] {false, true}) {
                    ModelSpec s = TinyModels.tiny(phd, T, tied);
                    Transformer m = new Transformer(s, B, pool);
                    TinyModels.randomize(s, m.params, 7);
                    int[] tokens = TinyModels.tokens(B * T, s.shape().vocab(), 3);
                    m.forward(tokens, null);
                    Path f = dir.resolve("fwd.gguf");
                    GgufExport.write(f, s, m.params, null, "fwd");
                    DenseReference ref = DenseReference.load(f);
                    double worst = 0;
                    for (int b = 0; b < B; b++) {
                        double[][] want = ref.logits(settings(phd), java.util.Arrays.copyOfRange(tokens, b * T, (b + 1) * T));
                        for (int p = 0; p < T; p++) {
                            float[] got = m.logits(b, p);
                            for (int i = 0; i < s.shape().vocab(); i++) worst = Math.max(worst, Math.abs(got[i] - want[p][i]));
                        }
                    }
                    assertTrue(worst <= 1e-4, phd.name() + (tied ? " tied" : "") + ": max |logit diff| " + worst);
                }
            }
        }
    }

    @Test
    void analyticGradientsMatchFiniteDifferencesInEveryTensor() {
        try (WorkerPool pool = new WorkerPool(2)) {
            List<String> failures = new ArrayList<>();
            int checked = 0;
            for (PhdConfig phd : TinyModels.variants()) {
                ModelSpec s = TinyModels.tiny(phd, T, phd.k() == 2); // K=2 variants also cover the tied output
                Transformer m = new Transformer(s, B, pool);
                TinyModels.randomize(s, m.params, 11);
                int[] tokens = TinyModels.tokens(B * T, s.shape().vocab(), 5);
                int[] targets = TinyModels.tokens(B * T, s.shape().vocab(), 6);
                double loss = m.forward(tokens, targets);
                java.util.Arrays.fill(m.grads, 0);
                m.backward();
                double refLoss = referenceLoss(s, m.params, tokens, targets);
                assertTrue(Math.abs(loss - refLoss) < 1e-5, phd.name() + " loss " + loss + " vs reference " + refLoss);

                Random rnd = new Random(phd.name().hashCode());
                float[] w = m.params.clone();
                for (ParamLayout.Tensor t : m.layout().tensors()) {
                    int[] picks = new int[3];
                    for (int i = 0; i < t.size(); i++) {
                        if (Math.abs(m.grads[t.offset() + i]) > Math.abs(m.grads[t.offset() + picks[0]])) picks[0] = i;
                    }
                    for (int j = 1; j < picks.length; j++) picks[j] = rnd.nextInt(t.size());
                    for (int e : picks) {
                        int at = t.offset() + e;
                        float orig = w[at];
                        float plus = (float) (orig + 1e-3), minus = (float) (orig - 1e-3);
                        w[at] = plus;
                        double lp = referenceLoss(s, w, tokens, targets);
                        w[at] = minus;
                        double lm = referenceLoss(s, w, tokens, targets);
                        w[at] = orig;
                        double numeric = (lp - lm) / ((double) plus - minus);
                        double analytic = m.grads[at];
                        checked++;
                        if (Math.abs(analytic - numeric) > 1e-3 * Math.abs(numeric) + 2e-6) {
                            failures.add(String.format("%s %s[%d]: analytic %.8g numeric %.8g", phd.name(), t.name(), e, analytic, numeric));
                        }
                    }
                }
            }
            assertTrue(failures.isEmpty(), failures.size() + " of " + checked + " gradients off:\n" + String.join("\n", failures));
        }
    }
}
