package phd4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import phd4j.gguf.GgufFile;
import phd4j.testing.SharedFiles;

/**
 * llama.cpp's prompt tokens and generated text for the shared models (stories260K and tiny256,
 * both with the 512-token SPM vocabulary). greedy_text is the pieces of the generated ids printed
 * one after another: it keeps the leading space of the first piece, and tiny256's random weights
 * produce split or invalid UTF-8 that must come out as U+FFFD in the same places.
 */
class ModelPromptTest {

    record Prompt(String fixture, int line, String prompt, int[] tokens, int[] greedy, String greedyText, Path model) {
        @Override
        public String toString() {
            return fixture + " #" + line + " " + prompt;
        }
    }

    static Stream<Prompt> prompts() throws IOException {
        List<Prompt> all = new ArrayList<>();
        for (String dir : List.of("stories260K", "tiny256")) {
            try (Stream<Path> files = Files.list(SharedFiles.dir().resolve("fixtures/" + dir))) {
                for (Path jsonl : files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList()) {
                    String name = jsonl.getFileName().toString().replace(".jsonl", "");
                    Path model = SharedFiles.file("models/" + (dir.equals("tiny256") ? "tiny256/" : "") + name + ".gguf");
                    List<String> lines = Files.readAllLines(jsonl);
                    for (int i = 0; i < lines.size(); i++) {
                        String l = lines.get(i);
                        all.add(new Prompt(name, i, JsonFields.string(l, "prompt"), JsonFields.ints(l, "tokens"),
                                JsonFields.ints(l, "greedy"), JsonFields.string(l, "greedy_text"), model));
                    }
                }
            }
        }
        return all.stream();
    }

    private static Tokenizer load(Path model) {
        try (GgufFile f = GgufFile.open(model)) {
            return Tokenizer.fromGguf(f);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("prompts")
    void promptTokensMatchLlamaCpp(Prompt p) {
        Tokenizer t = load(p.model());
        assertArrayEquals(p.tokens(), t.encode(p.prompt(), true, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("prompts")
    void generatedTextMatchesLlamaCpp(Prompt p) {
        Tokenizer t = load(p.model());
        assertEquals(p.greedyText(), t.decode(p.greedy()));
        StreamDecoder stream = t.streamDecoder();
        StringBuilder streamed = new StringBuilder();
        for (int token : p.greedy()) streamed.append(stream.push(token));
        assertEquals(p.greedyText(), streamed.append(stream.finish()).toString());
    }
}
