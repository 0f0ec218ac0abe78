package phd4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import phd4j.gguf.GgufException;
import phd4j.gguf.GgufFile;

/**
 * Every vocabulary in a llama.cpp source tree ({@code models/ggml-vocab-*.gguf}, env
 * {@code PHD4J_LLAMACPP_SRC}, e.g. from .ci/llamacpp-source.sh): one with test vectors either
 * passes all its cases or is refused at load, and which ones are refused is fixed here, so that
 * losing a vocabulary fails; one without vectors loads or is refused with a GgufException.
 */
class LlamaCppVocabTest {
    /** Vocabularies with test vectors that phd4j refuses: tokenizer models it does not implement. */
    static final Set<String> REFUSED = Set.of(
            "bert-bge"); // WordPiece

    static Path models() {
        String src = System.getenv("PHD4J_LLAMACPP_SRC");
        Assumptions.assumeTrue(src != null && !src.isEmpty(),
                "PHD4J_LLAMACPP_SRC is not set: no llama.cpp source tree to take vocabularies from");
        Path models = Path.of(src, "models");
        if (!Files.isDirectory(models)) throw new IllegalStateException("PHD4J_LLAMACPP_SRC=" + src + " has no models/ folder");
        return models;
    }

    static List<Path> vocabFiles(Path models) throws IOException {
        try (Stream<Path> files = Files.list(models)) {
            return files.filter(p -> p.getFileName().toString().matches("ggml-vocab-.*\\.gguf")).sorted().toList();
        }
    }

    static String name(Path file) {
        String f = file.getFileName().toString();
        return f.substring("ggml-vocab-".length(), f.length() - ".gguf".length());
    }

    static boolean hasVectors(Path file) {
        return Files.exists(Path.of(file + ".inp")) && Files.exists(Path.of(file + ".out"));
    }

    @TestFactory
    Stream<DynamicTest> everyVocabulary() throws IOException {
        List<Path> files = vocabFiles(models());
        assertFalse(files.isEmpty(), "no ggml-vocab-*.gguf in " + models());
        return files.stream().map(file -> DynamicTest.dynamicTest(name(file), () -> check(file)));
    }

    @TestFactory
    Stream<DynamicTest> everyRefusedVocabularyIsThere() throws IOException {
        List<String> withVectors = vocabFiles(models()).stream().filter(LlamaCppVocabTest::hasVectors).map(LlamaCppVocabTest::name).toList();
        return REFUSED.stream().sorted().map(n -> DynamicTest.dynamicTest(n, () -> assertTrue(withVectors.contains(n), n + " has no test vectors any more")));
    }

    /** gemma4 writes spaces as '▁' and falls back to byte tokens: decoding gives back every case's text. */
    @org.junit.jupiter.api.Test
    void gemma4DecodesWhatItEncodes() {
        Path file = models().resolve("ggml-vocab-gemma-4.gguf");
        Assumptions.assumeTrue(hasVectors(file), "no gemma-4 vocabulary with test vectors in " + models());
        try (GgufFile f = GgufFile.open(file)) {
            Tokenizer t = Tokenizer.fromGguf(f);
            assertTrue(t.addBos(), "llama.cpp always adds BOS for gemma4");
            for (VocabFixtures.Case c : VocabFixtures.cases(name(file), Path.of(file + ".inp"), Path.of(file + ".out"))) {
                assertEquals(c.text(), t.decode(t.encode(c.text(), false, false)), c::toString);
            }
        }
    }

    private static void check(Path file) {
        String name = name(file);
        try (GgufFile f = GgufFile.open(file)) {
            String model = f.findString("tokenizer.ggml.model").orElse("?");
            String pre = f.findString("tokenizer.ggml.pre").orElse("null");
            if (!hasVectors(file)) {
                try {
                    Tokenizer.fromGguf(f);
                } catch (GgufException refused) {
                    assertRefusal(refused, file, model, pre);
                }
                return;
            }
            if (REFUSED.contains(name)) {
                assertRefusal(assertThrows(GgufException.class, () -> Tokenizer.fromGguf(f)), file, model, pre);
                return;
            }
            Tokenizer t = Tokenizer.fromGguf(f);
            List<VocabFixtures.Case> cases = VocabFixtures.cases(name, Path.of(file + ".inp"), Path.of(file + ".out"));
            long passed = cases.stream().filter(c -> java.util.Arrays.equals(c.expected(), t.encode(c.text(), false, false))).count();
            for (VocabFixtures.Case c : cases) {
                assertArrayEquals(c.expected(), t.encode(c.text(), false, false),
                        () -> c + " (" + passed + "/" + cases.size() + " cases pass)");
            }
        }
    }

    private static void assertRefusal(GgufException e, Path file, String model, String pre) {
        String m = e.getMessage();
        assertFalse(m.contains("\n"), () -> "more than one line: " + m);
        assertTrue(m.startsWith(file + ": tokenizer.ggml."), () -> "does not name the file and key: " + m);
        assertTrue(m.contains("'" + model + "'") && m.contains("'" + pre + "'"), () -> "does not name model and pre-tokenizer: " + m);
        assertEquals(GgufException.class, e.getClass());
    }
}
