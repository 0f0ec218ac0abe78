package phd4j.phd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.phd.DenseReference.Settings;
import phd4j.testing.RandomModels;
import phd4j.testing.RandomModels.Spec;

/** The brute-force ring reference agrees with the dense one until its ring is full, and then departs. */
class StreamingReferenceTest {
    @TempDir
    Path dir;

    @Test
    void equalsTheDenseReferenceWithoutEviction() {
        DenseReference ref = DenseReference.load(RandomModels.write(dir, Spec.of(32, 2, 4, 2, 64, 300, 64, 11)));
        int[] tokens = RandomModelsTest.randomTokens(5, 20, 300);
        for (int k : new int[] {1, 2, 3}) {
            double[][] dense = ref.logits(Settings.phd(k), tokens);
            StreamingReference stream = new StreamingReference(ref, k, 20, 4);   // exactly full at the end
            double worst = 0;
            for (int p = 0; p < tokens.length; p++) {
                double[] got = stream.step(tokens[p]);
                for (int v = 0; v < got.length; v++) worst = Math.max(worst, Math.abs(got[v] - dense[p][v]));
            }
            assertTrue(worst < 1e-9, "K=" + k + ": max |diff| " + worst);

            // one more token evicts one original: the result must differ from the dense forward
            int[] longer = java.util.Arrays.copyOf(tokens, 21);
            longer[20] = 77;
            double[] dense21 = ref.lastLogits(Settings.phd(k), longer);
            double[] evicted = stream.step(77);
            double diff = 0;
            for (int v = 0; v < evicted.length; v++) diff = Math.max(diff, Math.abs(evicted[v] - dense21[v]));
            assertTrue(diff > 1e-3, "K=" + k + ": eviction changed nothing (" + diff + ")");
        }
    }
}
