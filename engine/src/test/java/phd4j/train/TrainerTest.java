package phd4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.model.ModelShape;
import phd4j.data.TokenDataset;
import phd4j.phd.PhdConfig;
import phd4j.simd.WorkerPool;

/** Optimizer, schedule, determinism and checkpoint/resume on a tiny character corpus. */
class TrainerTest {
    static final String TEXT = """
            it is a truth universally acknowledged, that a single man in possession of a good fortune,
            must be in want of a wife. however little known the feelings or views of such a man may be
            on his first entering a neighbourhood, this truth is so well fixed in the minds of the
            surrounding families, that he is considered the rightful property of some one or other of
            their daughters.
            """;

    /** Characters as token ids: a synthetic 64-symbol vocabulary (a-z, space, punctuation, newline). */
    static TokenDataset.Split corpus() {
        return TokenDataset.ofTokens(64, 0, ids()).train();
    }

    static int[] ids() {
        String alphabet = "abcdefghijklmnopqrstuvwxyz .,;:!?'-\n";
        int[] ids = TEXT.chars().map(c -> {
            int i = alphabet.indexOf(c);
            if (i < 0) throw new IllegalStateException("char " + (char) c);
            return i;
        }).toArray();
        return ids;
    }

    static ModelSpec shape(PhdConfig phd) {
        return new ModelSpec(new ModelShape(32, 2, 4, 2, 64, 64), 16, false, 1e-5f, 10000f, phd);
    }

    static TrainSettings settings(int steps) {
        return new TrainSettings(4, steps, 1e-2, 1e-3, 5, 0.9, 0.95, 1e-8, 0.1, 1.0, 0.02, 42);
    }

    @Test
    void scheduleWarmsUpThenDecaysToTheFloor() {
        TrainSettings s = settings(100);
        assertEquals(1e-2 / 5, s.learningRate(0), 1e-12);
        assertEquals(1e-2, s.learningRate(4), 1e-12);
        assertEquals(1e-2, s.learningRate(5), 1e-12);          // cosine starts at the peak
        assertEquals((1e-2 + 1e-3) / 2, s.learningRate(5 + 95 / 2), 2e-4);
        assertEquals(1e-3, s.learningRate(100), 1e-12);
        for (int i = 6; i < 100; i++) assertTrue(s.learningRate(i) <= s.learningRate(i - 1));
    }

    @Test
    void lossFallsOnATinyCorpus() {
        try (WorkerPool pool = new WorkerPool(2)) {
            for (PhdConfig phd : new PhdConfig[] {PhdConfig.VANILLA, new PhdConfig(2, PhdConfig.Variant.CSWA, 4, 8)}) {
                Trainer tr = new Trainer(shape(phd), settings(40), corpus(), pool);
                double first = tr.step().loss();
                assertEquals(Math.log(64), first, 0.1, "initial loss is near uniform over 64 symbols");
                double last = 0;
                for (int i = 1; i < 40; i++) last = tr.step().loss();
                double eval = tr.evaluate(corpus(), 0);
                assertTrue(last < 0.7 * first, phd.name() + ": loss after 40 steps " + last + ", first " + first);
                assertTrue(eval < 0.7 * first, phd.name() + ": evaluation loss " + eval);
            }
        }
    }

    @Test
    void sameSeedGivesBitIdenticalWeightsWhateverTheThreadCount() {
        PhdConfig phd = new PhdConfig(3, PhdConfig.Variant.SWA, 3, 0);
        float[][] w = new float[3][];
        int[] threads = {2, 2, 1};
        for (int run = 0; run < 3; run++) {
            try (WorkerPool pool = new WorkerPool(threads[run])) {
                Trainer tr = new Trainer(shape(phd), settings(8), corpus(), pool);
                for (int i = 0; i < 8; i++) tr.step();
                w[run] = tr.parameters().clone();
            }
        }
        assertArrayEquals(w[0], w[1]);
        assertArrayEquals(w[0], w[2]);
    }

    @Test
    void validationLossIsTheMeanOverEveryHeldOutTokenWhateverTheBatch() {
        int[] ids = ids();
        int half = ids.length / 2;
        // two documents, 30 % of each held out: two validation segments of unequal length
        TokenDataset data = TokenDataset.ofTokens(64, 0.3, java.util.Arrays.copyOf(ids, half), java.util.Arrays.copyOfRange(ids, half, ids.length - 7));
        PhdConfig phd = new PhdConfig(2, PhdConfig.Variant.SWA, 3, 0);
        try (WorkerPool pool = new WorkerPool(2)) {
            // batch 4 and batch 3 pad the last batch differently; the initial weights are the same
            double a = new Trainer(shape(phd), settings(8), data.train(), pool).evaluate(data.validation(), 0);
            TrainSettings three = new TrainSettings(3, 8, 1e-2, 1e-3, 5, 0.9, 0.95, 1e-8, 0.1, 1.0, 0.02, 42);
            Trainer tr = new Trainer(shape(phd), three, data.train(), pool);
            double b = tr.evaluate(data.validation(), 0);
            assertEquals(a, b, 1e-6);
            // the same mean, token by token: each window scored from scoredFrom, one at a time
            double sum = 0;
            long n = 0;
            Transformer one = new Transformer(shape(phd), 1, pool);
            System.arraycopy(tr.parameters(), 0, one.params, 0, one.params.length);
            int t = shape(phd).seqLen();
            int[] x = new int[t], y = new int[t];
            for (TokenDataset.Window w : data.validation().windows(t)) {
                data.validation().window(w.start(), t, x, y, 0);
                one.forward(x, y);
                for (int p = w.scoredFrom(); p < t; p++, n++) sum += one.rowLoss(p);
            }
            long expected = 0;
            for (int s = 0; s < data.validation().segmentCount(); s++) expected += data.validation().segmentLength(s) - 1;
            assertEquals(expected, n, "every held-out token but each segment's first is scored once");
            assertEquals(sum / n, b, 1e-6);
        }
    }

    @Test
    void resumeFromCheckpointIsBitIdentical(@TempDir Path dir) throws Exception {
        PhdConfig phd = new PhdConfig(2, PhdConfig.Variant.PHD, 0, 0);
        int n = 10;
        try (WorkerPool pool = new WorkerPool(2)) {
            Trainer straight = new Trainer(shape(phd), settings(n), corpus(), pool);
            for (int i = 0; i < n; i++) straight.step();

            Trainer first = new Trainer(shape(phd), settings(n), corpus(), pool);
            for (int i = 0; i < n / 2; i++) first.step();
            Path ckpt = dir.resolve("run.ckpt");
            first.save(ckpt);
            assertTrue(Files.exists(ckpt));
            try (var files = Files.list(dir)) {
                assertEquals(1, files.count(), "no temporary file left behind");
            }
            Trainer resumed = Trainer.resume(ckpt, corpus(), pool, null);
            assertEquals(n / 2, resumed.stepsDone());
            assertEquals(first.tokensSeen(), resumed.tokensSeen());
            for (int i = n / 2; i < n; i++) resumed.step();

            assertEquals(n, resumed.stepsDone());
            assertArrayEquals(straight.parameters(), resumed.parameters());
            assertArrayEquals(straight.adam().m, resumed.adam().m);
            assertArrayEquals(straight.adam().v, resumed.adam().v);
        }
    }
}
