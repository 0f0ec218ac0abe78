package phd4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.gguf.GgufFile;
import phd4j.tokenizer.Tokenizer;

/**
 * The regression run of both fuzz targets (a few thousand cases, seconds): no unclean outcome,
 * no hang. scripts/fuzz.sh runs long campaigns through the same test with more cases
 * (-Dphd4j.fuzz.gguf=N -Dphd4j.fuzz.tokenizer=N -Dphd4j.fuzz.seed=S) and prints the reports.
 * With PHD4J_SHARED the shared models and vocabularies join the seeds.
 */
class FuzzTest {
    @TempDir Path dir;

    private static long property(String name, long fallback) {
        return Long.getLong("phd4j.fuzz." + name, fallback);
    }

    private static Path shared() {
        String v = System.getenv("PHD4J_SHARED");
        if (v == null || v.isBlank()) return null;
        Path p = Path.of(v);
        String root = System.getProperty("phd4j.root");
        if (!p.isAbsolute() && root != null) p = Path.of(root).resolve(p);
        return Files.isDirectory(p) ? p : null;
    }

    /** Printed and kept in target/fuzz-report.txt, where scripts/fuzz.sh reads it. */
    private static void record(String report) throws java.io.IOException {
        System.out.print(report);
        Files.writeString(Path.of("target", "fuzz-report.txt"), report, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    @Test
    void ggufMutantsAreRefusedCleanlyOrRun() throws Exception {
        List<GgufMutator.Seed> seeds = new ArrayList<>();
        List<Path> files = new ArrayList<>(FuzzSeeds.all(dir));
        Path shared = shared();
        if (shared != null) files.add(shared.resolve("models/stories260K.gguf"));
        for (Path f : files) seeds.add(GgufMutator.Seed.of(f, Files.readAllBytes(f)));
        Path work = Files.createDirectories(dir.resolve("cases"));
        Tally t = new GgufTarget(seeds, work, 20_000).run(property("gguf", 1500), property("seed", 1));
        record(t.report("gguf", 25));
        assertEquals(List.of(), t.failures(), t.report("gguf", 10));
    }

    @Test
    void tokenizersTakeAnyText() throws Exception {
        List<TokenizerTarget.Vocabulary> vocabularies = new ArrayList<>();
        List<Path> files = new ArrayList<>(FuzzSeeds.all(dir));
        files.add(Path.of(System.getProperty("phd4j.root", ".."), "models", "default.gguf"));
        Path shared = shared();
        if (shared != null) {
            try (var vocab = Files.list(shared.resolve("fixtures/vocab"))) {
                vocab.filter(p -> p.toString().endsWith(".gguf")).sorted().forEach(files::add);
            }
        }
        List<String> pieces = new ArrayList<>();
        for (Path f : files) {
            try (GgufFile g = GgufFile.open(f)) {
                Tokenizer t = Tokenizer.fromGguf(g);
                vocabularies.add(new TokenizerTarget.Vocabulary(f.getFileName().toString(), t));
                for (int i = 0; i < t.vocabSize(); i += 1 + t.vocabSize() / 500) pieces.add(t.tokenText(i));
            }
        }
        List<String> texts = new ArrayList<>();
        try (var seeds = Files.list(FuzzSeeds.TEXT)) {
            for (Path p : seeds.sorted().toList()) texts.add(Files.readString(p, StandardCharsets.UTF_8));
        }
        Tally t = new TokenizerTarget(vocabularies, new TextGenerator(texts, pieces), 20_000).run(property("tokenizer", 6000), property("seed", 1));
        record(t.report("tokenizer", 5));
        assertEquals(List.of(), t.failures(), t.report("tokenizer", 5));
    }
}
