package phd4j.fuzz;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import phd4j.GenerationParams;
import phd4j.GenerationResult;
import phd4j.Model;
import phd4j.Session;
import phd4j.TokenListener;
import phd4j.gguf.GgufException;
import phd4j.tokenizer.Tokenizer;

/**
 * The GGUF reader, model loader and a short forward pass on mutants of seed files: each case is
 * CLEAN (a one-line GgufException naming the file), RAN (loaded, generated two tokens, decoded
 * them) or UNCLEAN (anything else), or a HANG past the time a case is allowed. Case i of a
 * campaign with seed s is reproducible from (s, i) alone.
 */
final class GgufTarget {
    private final List<GgufMutator.Seed> seeds;
    private final Path dir;
    private final long caseMillis;

    GgufTarget(List<GgufMutator.Seed> seeds, Path dir, long caseMillis) {
        this.seeds = seeds;
        this.dir = dir;
        this.caseMillis = caseMillis;
    }

    Tally run(long cases, long seed) throws Exception {
        Tally tally = new Tally();
        ExecutorService worker = daemonWorker();
        try {
            for (long i = 0; i < cases; i++) {
                SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + i);
                GgufMutator.Seed base = seeds.get(rnd.nextInt(seeds.size()));
                Path file = dir.resolve("case-" + i + ".gguf");
                String what = GgufMutator.mutate(base, rnd, file);
                String id = "case " + i + " (seed " + seed + ", " + base.name() + ", " + what + ")";
                Future<?> f = worker.submit(() -> runCase(file, id, tally));
                try {
                    f.get(caseMillis, TimeUnit.MILLISECONDS);
                    Files.deleteIfExists(file);
                } catch (TimeoutException e) {
                    tally.failed(Tally.Outcome.HANG, id);
                    f.cancel(true);
                    worker.shutdownNow();
                    worker = daemonWorker(); // the stuck thread is left behind; its file too, for a look
                }
            }
        } finally {
            worker.shutdownNow();
        }
        return tally;
    }

    private static ExecutorService daemonWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "gguf-fuzz");
            t.setDaemon(true);
            return t;
        });
    }

    private static void runCase(Path file, String id, Tally tally) {
        try (Model model = Model.load(file, 1); Session session = model.newSession(8)) {
            Tokenizer tok = model.tokenizer();
            int[] prompt = tok.encode("Hi, there \u00e9\u4e2d", true, false);
            if (prompt.length == 0) prompt = new int[] {0};
            prompt = Arrays.copyOf(prompt, Math.min(prompt.length, 6));
            GenerationResult r = session.generate(prompt, GenerationParams.greedy(2).withIgnoreEos(true), TokenListener.NONE);
            tok.decode(r.tokens());
            for (int t : r.tokens()) tok.pieceBytes(t);
            tally.ran();
        } catch (GgufException e) {
            String m = e.getMessage();
            if (m == null || !m.startsWith(file.toString()) || m.lines().count() != 1) {
                tally.failed(Tally.Outcome.UNCLEAN, id + ": GgufException not one line naming the file: " + m);
            } else {
                tally.clean(Tally.kind(m, file.toString()));
            }
        } catch (Throwable e) { // the point of the target: anything else, Errors included, is a finding
            tally.failed(Tally.Outcome.UNCLEAN, id + ": " + Tally.describe(e));
        }
    }
}
