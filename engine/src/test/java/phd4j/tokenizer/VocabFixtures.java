package phd4j.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import phd4j.gguf.GgufFile;
import phd4j.testing.SharedFiles;

/**
 * llama.cpp's tokenizer test vectors (shared/fixtures/vocab): {@code <name>.gguf.inp} holds the
 * texts ({@link VocabTestCases}); {@code .out} one line of ids per text. test-tokenizer-0
 * tokenizes them with add_special=false, parse_special=false.
 */
final class VocabFixtures {
    private VocabFixtures() {}

    static final List<String> NAMES = List.of("llama-spm", "gpt-2", "llama-bpe");
    private static final Map<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

    record Case(String vocab, int index, String text, int[] expected) {
        @Override
        public String toString() {
            String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
            return vocab + " #" + index + " " + shown.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
        }
    }

    static Path file(String name, String suffix) {
        return SharedFiles.file("fixtures/vocab/ggml-vocab-" + name + ".gguf" + suffix);
    }

    /** One tokenizer per vocabulary for the whole test run: the BPE files take a moment to load. */
    static Tokenizer tokenizer(String name) {
        return LOADED.computeIfAbsent(name, n -> {
            try (GgufFile f = GgufFile.open(file(n, ""))) {
                return Tokenizer.fromGguf(f);
            }
        });
    }

    static List<Case> cases(String name) {
        return cases(name, file(name, ".inp"), file(name, ".out"));
    }

    /** The cases of one vocabulary: texts from {@code inp}, ids from {@code out}. */
    static List<Case> cases(String name, Path inp, Path out) {
        try {
            String raw = Files.readString(inp, StandardCharsets.UTF_8);
            List<String> texts = VocabTestCases.split(raw);
            List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
            if (lines.size() != texts.size()) {
                throw new IllegalStateException(name + ": " + texts.size() + " texts but " + lines.size() + " id lines");
            }
            List<Case> cases = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                String line = lines.get(i).strip();
                int[] ids = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
                cases.add(new Case(name, i, texts.get(i), ids));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
