package phd4j.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import phd4j.testing.Json;
import phd4j.testing.SharedFiles;

/**
 * The real chat templates of a llama.cpp source tree ({@code models/templates/*.jinja}, env
 * {@code PHD4J_LLAMACPP_SRC}), each over the shared fixtures' four message lists, with and
 * without the generation prompt, without tools (as transformers passes None) and with one tool.
 * Where python3 has jinja2, every rendering equals Jinja2's ({@code scripts/jinja2/render.py},
 * transformers' settings), and where Jinja2 fails, so do we, with the same raise_exception
 * message. Without jinja2, every template must render, except the refusals fixed here.
 */
class LlamaCppTemplatesTest {
    /** Template -> what it fails with, for some list, when rendered without tools (as the shared fixtures are). */
    static final Map<String, String> REFUSING = Map.of(
            "CohereForAI-c4ai-command-r-plus-tool_use.jinja", "'NoneType' object is not iterable", // iterates tools
            "NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja", "'NoneType' object is not iterable",
            "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", "'NoneType' object is not iterable",
            "meetkai-functionary-medium-v3.1.jinja", "'NoneType' object is not iterable",
            "fireworks-ai-llama-3-firefunction-v2.jinja", "'functions' is undefined", // its own variable
            "google-gemma-2-2b-it.jinja", "System role not supported"); // raise_exception

    /** Templates that take tools in a format of their own, not the OpenAI one: not rendered with TOOLS. */
    static final List<String> OWN_TOOL_FORMAT = List.of("CohereForAI-c4ai-command-r-plus-tool_use.jinja", "fireworks-ai-llama-3-firefunction-v2.jinja");

    /** One tool in the OpenAI format transformers passes on. */
    static final List<Object> TOOLS = List.of(Map.of("type", "function", "function", Map.of(
            "name", "get_weather", "description", "The weather in a city",
            "parameters", Map.of("type", "object", "properties", Map.of("city", Map.of("type", "string")), "required", List.of("city")))));

    record Job(Path template, String list, boolean gen, boolean tools, Map<String, Object> variables) {
        String label() {
            return list + (gen ? " gen" : " nogen") + (tools ? " tools" : "");
        }
    }

    static Path templates() {
        String src = System.getenv("PHD4J_LLAMACPP_SRC");
        Assumptions.assumeTrue(src != null && !src.isEmpty(), "PHD4J_LLAMACPP_SRC is not set");
        return Path.of(src, "models", "templates");
    }

    @TestFactory
    Stream<DynamicTest> everyTemplate() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(templates())) {
            files = s.filter(p -> p.toString().endsWith(".jinja")).sorted().toList();
        }
        assertFalse(files.isEmpty());
        Path lists = SharedFiles.dir().resolve("fixtures/chat/Qwen-Qwen2.5-7B-Instruct");
        List<Job> jobs = new ArrayList<>();
        for (Path f : files) {
            for (String list : List.of("single", "system", "multiturn", "unicode")) {
                for (boolean gen : new boolean[] {true, false}) {
                    for (boolean tools : new boolean[] {false, true}) {
                        if (tools && OWN_TOOL_FORMAT.contains(f.getFileName().toString())) continue;
                        Map<String, Object> vars = ChatTemplate.variables(ChatTemplateFixtureTest.messages(lists.resolve(list + ".json")), gen, "<s>", "</s>");
                        if (tools) vars.put("tools", TOOLS);
                        jobs.add(new Job(f, list, gen, tools, vars));
                    }
                }
            }
        }
        List<Map<String, Object>> reference = jinja2(jobs);
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            String name = f.getFileName().toString();
            ChatTemplate t = ChatTemplate.parse(Files.readString(f, StandardCharsets.UTF_8), name);
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < jobs.size(); i++) {
                Job job = jobs.get(i);
                if (!job.template().equals(f)) continue;
                String text = null, error = null;
                try {
                    text = t.render(ChatTemplate.fromJavaMap(job.variables()), ChatTemplateFixtureTest.FIXTURE_CLOCK);
                } catch (ChatTemplateException e) {
                    error = e.getMessage();
                }
                if (reference != null) {
                    compare(reference.get(i), text, error, name + " " + job.label());
                } else if (error != null) {
                    failures.add(error);
                }
            }
            if (reference != null) return;
            String expected = REFUSING.get(name);
            if (expected == null) {
                assertTrue(failures.isEmpty(), () -> String.join("\n", failures));
            } else {
                assertFalse(failures.isEmpty(), name + " no longer refuses any list");
            }
        }));
    }

    private static void compare(Map<String, Object> ref, String text, String error, String what) {
        if (ref.containsKey("text")) {
            assertEquals(ref.get("text"), text, () -> what + (error != null ? ": we failed with " + error : ""));
        } else {
            assertTrue(error != null, () -> what + ": Jinja2 failed (" + ref.get("kind") + ": " + ref.get("error") + "), we rendered");
            if ("Raised".equals(ref.get("kind"))) {
                assertTrue(error.endsWith(": " + ref.get("error")), () -> what + ": raise_exception('" + ref.get("error") + "'), we said " + error);
            }
        }
    }

    /** Jinja2's renderings of the jobs, or null (and a note) where python3 has no jinja2. */
    private static List<Map<String, Object>> jinja2(List<Job> jobs) throws Exception {
        Path script = Path.of(System.getProperty("phd4j.root", ".."), "scripts", "jinja2", "render.py").toAbsolutePath();
        ProcessBuilder probe = new ProcessBuilder("python3", "-c", "import jinja2").redirectErrorStream(true);
        try {
            Process p = probe.start();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                System.err.println("LlamaCppTemplatesTest: python3 has no jinja2, renderings are not compared");
                return null;
            }
        } catch (IOException noPython) {
            System.err.println("LlamaCppTemplatesTest: no python3, renderings are not compared");
            return null;
        }
        StringBuilder in = new StringBuilder();
        for (Job j : jobs) {
            in.append("{\"template\": ");
            phd4j.json.JsonText.quote(in, j.template().toAbsolutePath().toString());
            in.append(", \"variables\": ");
            Py.json(in, ChatTemplate.fromJavaMap(j.variables()), null, ", ", ": ", false, 0);
            in.append("}\n");
        }
        ProcessBuilder pb = new ProcessBuilder("python3", script.toString());
        pb.environment().put("SOURCE_DATE_EPOCH", "1773489600");
        pb.environment().put("PYTHONIOENCODING", "utf-8");
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        Thread feeder = Thread.ofVirtual().start(() -> { // writes while we read, so neither pipe fills up
            try (var w = p.getOutputStream()) {
                w.write(in.toString().getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        feeder.join();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, script + " failed");
        List<Map<String, Object>> results = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> r = (Map<String, Object>) Json.parse(line);
                results.add(r);
            }
        }
        assertEquals(jobs.size(), results.size(), "one Jinja2 result per job");
        return results;
    }
}
