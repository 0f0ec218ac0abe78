package phd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.testing.SharedFiles;

/** {@code phd template} and {@code phd chat} as a user meets them. */
class ChatCliTest {
    static Path fixture(String family, String file) {
        return SharedFiles.file("fixtures/chat/" + family + "/" + file);
    }

    @Test
    void templatePrintsExactlyTheRenderedPrompt() throws Exception {
        // stories260K's vocabulary has the <s> and </s> the fixtures were rendered with
        for (String family : new String[] {"Qwen-Qwen2.5-7B-Instruct", "microsoft-Phi-3.5-mini-instruct"}) {
            CliTest.Result r = CliTest.phd("template", "-m", CliTest.stories(), "--messages", fixture(family, "multiturn.json").toString(),
                    "--chat-template-file", fixture(family, "template.jinja").toString());
            assertEquals(0, r.status(), r.err());
            assertEquals(Files.readString(fixture(family, "expected-multiturn-gen.txt"), StandardCharsets.UTF_8), r.out(), family);
            r = CliTest.phd("template", "-m", CliTest.stories(), "--messages", fixture(family, "multiturn.json").toString(),
                    "--chat-template-file", fixture(family, "template.jinja").toString(), "--no-generation-prompt");
            assertEquals(Files.readString(fixture(family, "expected-multiturn-nogen.txt"), StandardCharsets.UTF_8), r.out(), family);
        }
    }

    @Test
    void templateMistakesAreOneLine(@TempDir Path dir) throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.json"), "[{\"role\": \"user\",\n \"content\": }]");
        CliTest.Result r = CliTest.phd("template", "-m", CliTest.stories(), "--messages", broken.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().strip().lines().count() == 1 && r.err().contains(broken + ":2: not valid JSON"), r.err());

        Path noRole = Files.writeString(dir.resolve("norole.json"), "[{\"content\": \"hi\"}]");
        r = CliTest.phd("template", "-m", CliTest.stories(), "--messages", noRole.toString());
        assertTrue(r.status() == 1 && r.err().contains("\"role\""), r.err());

        Path badTemplate = Files.writeString(dir.resolve("t.jinja"), "ok\n{% for m in messages %}{{ m.role }");
        r = CliTest.phd("template", "-m", CliTest.stories(), "--messages", fixture("Qwen-Qwen2.5-7B-Instruct", "single.json").toString(),
                "--chat-template-file", badTemplate.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().strip().lines().count() == 1 && r.err().contains(badTemplate + ":2: "), r.err());

        r = CliTest.phd("template", "-m", CliTest.stories(), "--messages", fixture("google-gemma-2-2b-it", "system.json").toString(),
                "--chat-template-file", fixture("google-gemma-2-2b-it", "template.jinja").toString());
        assertTrue(r.status() == 1 && r.err().contains("template.jinja:1: System role not supported"), r.err());
    }

    private static CliTest.Result chat(String input, String... args) {
        InputStream stdin = System.in;
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        try {
            return CliTest.phd(args);
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void chatFromAPipeAnswersEachLine() {
        String template = fixture("Qwen-Qwen2.5-7B-Instruct", "template.jinja").toString();
        CliTest.Result r = chat("Once upon a time\nThe dog\\\nran\n/reset\nA cat\n/exit\nnever read\n",
                "chat", "-m", CliTest.stories(), "--chat-template-file", template, "-n", "6", "--temp", "0", "-t", "1");
        assertEquals(0, r.status(), r.err());
        assertEquals(3, r.out().lines().count(), "one reply a turn: " + r.out());
        assertTrue(r.err().contains("(the conversation starts over)"), r.err());
        // the same turn after /reset answers as a fresh conversation does
        CliTest.Result fresh = chat("A cat\n", "chat", "-m", CliTest.stories(), "--chat-template-file", template, "-n", "6", "--temp", "0", "-t", "1");
        assertEquals(fresh.out().lines().toList().getFirst(), r.out().lines().toList().getLast());
    }

    @Test
    void chatReportsATemplateRefusalAndGoesOn() {
        CliTest.Result r = chat("hello\n", "chat", "-m", CliTest.stories(), "-sys", "Be brief.", "-n", "4", "--temp", "0",
                "--chat-template-file", fixture("google-gemma-2-2b-it", "template.jinja").toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("System role not supported"), r.err());
    }

    @Test
    void chatWithoutATemplateNamesItsFallback() {
        CliTest.Result r = chat("hello\n", "chat", "-m", CliTest.stories(), "-n", "4", "--temp", "0");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("has no tokenizer.chat_template; using the ChatML format"), r.err());
    }
}
