package phd4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.model.ModelShape;
import phd4j.Model;
import phd4j.Session;
import phd4j.gguf.GgufFile;
import phd4j.phd.PhdConfig;
import phd4j.simd.WorkerPool;
import phd4j.testing.RandomModels;

/** The exported GGUF loads in the inference engine and gives the trainer's logits. */
class ExportTest {
    @Test
    void exportedModelMatchesTrainingForwardInTheEngine(@TempDir Path dir) {
        // a vocabulary GGUF to take the tokenizer.* keys from (260 SentencePiece tokens)
        Path vocabFile = RandomModels.write(dir, RandomModels.Spec.of(16, 1, 2, 2, 16, 260, 64, 1));
        int t = 8;
        try (WorkerPool pool = new WorkerPool(2); GgufFile vocab = GgufFile.open(vocabFile)) {
            for (PhdConfig phd : TinyModels.variants()) {
                ModelSpec s = new ModelSpec(new ModelShape(32, 2, 4, 2, 48, 260), t, phd.k() == 2, 1e-5f, 10000f, phd);
                Transformer m = new Transformer(s, 1, pool);
                TinyModels.randomize(s, m.params, 3);
                int[] tokens = TinyModels.tokens(t, s.shape().vocab(), 9);
                m.forward(tokens, null);
                Path out = dir.resolve("export-" + phd.name() + ".gguf");
                GgufExport.write(out, s, m.params, vocab, "test " + phd.name());
                try (Model model = Model.load(out, 2); Session session = model.newSession(16)) {
                    assertEquals(phd, model.phd());
                    assertEquals(s.parameterCount(), model.parameterCount());
                    float[][] got = session.evaluateAll(tokens);
                    double worst = 0;
                    for (int p = 0; p < t; p++) {
                        float[] want = m.logits(0, p);
                        for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[p][i] - want[i]));
                    }
                    assertTrue(worst <= 1e-4, phd.name() + ": max |logit diff| " + worst);
                }
            }
        }
    }
}
