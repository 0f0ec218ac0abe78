package phd4j.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import phd4j.testing.Json;
import phd4j.testing.SharedFiles;

/**
 * Every chat template of ../shared/fixtures/chat renders every message list byte for byte as
 * Jinja2 did (transformers' settings, see the fixtures' README), with and without the generation
 * prompt; where Jinja2's rendering raised, ours fails with the template's own message.
 */
class ChatTemplateFixtureTest {
    /** The moment the fixtures were rendered at: SOURCE_DATE_EPOCH=1773489600. */
    static final ZonedDateTime FIXTURE_CLOCK = Instant.ofEpochSecond(1773489600L).atZone(ZoneOffset.UTC);

    static List<Path> families() throws IOException {
        Path dir = SharedFiles.dir().resolve("fixtures/chat");
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        }
    }

    @SuppressWarnings("unchecked")
    static List<ChatMessage> messages(Path file) throws IOException {
        List<ChatMessage> out = new ArrayList<>();
        for (Object o : (List<Object>) Json.parse(Files.readString(file, StandardCharsets.UTF_8))) {
            Map<String, Object> m = (Map<String, Object>) o;
            out.add(new ChatMessage((String) m.get("role"), (String) m.get("content")));
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> everyTemplateEveryList() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        List<Path> families = families();
        assertFalse(families.isEmpty());
        for (Path family : families) {
            ChatTemplate t = ChatTemplate.parse(Files.readString(family.resolve("template.jinja"), StandardCharsets.UTF_8),
                    family.getFileName() + "/template.jinja");
            for (String list : List.of("single", "system", "multiturn", "unicode")) {
                for (boolean gen : new boolean[] {true, false}) {
                    String stem = "expected-" + list + (gen ? "-gen" : "-nogen");
                    tests.add(DynamicTest.dynamicTest(family.getFileName() + " " + stem, () -> check(t, family, list, gen, stem)));
                }
            }
        }
        return tests.stream();
    }

    private static void check(ChatTemplate t, Path family, String list, boolean gen, String stem) throws IOException {
        Map<String, Object> vars = ChatTemplate.variables(messages(family.resolve(list + ".json")), gen, "<s>", "</s>");
        Path expected = family.resolve(stem + ".txt");
        Path error = family.resolve(stem + ".error");
        if (Files.exists(error)) {
            ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(vars, FIXTURE_CLOCK));
            String message = Files.readString(error, StandardCharsets.UTF_8).strip();
            assertTrue(e.getMessage().endsWith(": " + message), () -> "expected the template's message '" + message + "', got " + e.getMessage());
        } else {
            assertEquals(Files.readString(expected, StandardCharsets.UTF_8), t.render(vars, FIXTURE_CLOCK));
        }
    }
}
