package phd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Arguments a hostile or careless user gives (issue 17): each ends in one line on stderr naming
 * the file or the limit, exit status 1, nothing on stdout, and nothing blocks.
 */
class HostileCliTest {
    @TempDir Path dir;

    private static void assertOneLine(CliTest.Result r, String... parts) {
        assertEquals(1, r.status(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        for (String part : parts) assertTrue(r.err().contains(part), "'" + part + "' in " + r.err());
        assertEquals("", r.out(), "nothing on stdout before the error");
    }

    @Test
    void contextTooLargeForTheMemoryIsRefusedBeforeAllocating() {
        CliTest.Result r = CliTest.phd("run", "-m", CliTest.stories(), "-p", "Once", "-c", "2000000000");
        assertOneLine(r, "the KV cache for a context of 2000000000 (-c) needs", "and ");
        CliTest.Result chat = CliTest.phd("chat", "-m", CliTest.stories(), "-c", "2000000000");
        assertEquals(1, chat.status(), chat.err());
        assertTrue(chat.err().strip().lines().toList().getLast().contains("(-c) needs"), "after the ChatML note: " + chat.err());
        CliTest.Result info = CliTest.phd("info", "-m", CliTest.stories(), "-c", "2000000000");
        assertEquals(0, info.status(), "info reports the size, allocating nothing: " + info.err());
        assertTrue(info.out().contains("for a context of 2000000000"), info.out());
    }

    @Test
    void serveChecksTheCachesOfEverySlot() {
        // one slot of 1,000,000 tokens fits (1.2 GiB); a thousand of them do not
        CliTest.Result r = CliTest.phd("serve", "-m", CliTest.stories(), "--port", "0", "-np", "1000", "-c", "1000000");
        assertOneLine(r, "the KV caches of 1000 slots (-np) with a context of 1000000 (-c) needs", "and ");
    }

    @Test
    void servePromptChunksMustBePositive() {
        for (String option : new String[] {"--prompt-chunk", "--prompt-burst"}) {
            CliTest.Result r = CliTest.phd("serve", "-m", CliTest.stories(), "--port", "0", option, "0");
            assertEquals(2, r.status(), r.err());
            assertTrue(r.err().contains(option + " must be >= 1, got 0"), r.err());
        }
    }

    @Test
    void keepOutOfRangeLeavesStdoutEmpty() {
        CliTest.Result r = CliTest.phd("run", "-m", CliTest.stories(), "-p", "Once", "-c", "16", "--keep", "16");
        assertEquals(2, r.status(), r.err());
        assertEquals("", r.out());
    }

    @Test
    void folderAsModelOrPromptFileNamesThePath() {
        assertOneLine(CliTest.phd("run", "-m", dir.toString(), "-p", "hi"), dir.toString(), "is a folder");
        assertOneLine(CliTest.phd("run", "-m", CliTest.stories(), "-f", dir.toString()), dir.toString(), "is a folder");
        assertOneLine(CliTest.phd("perplexity", "-m", CliTest.stories(), "-f", dir.toString()), dir.toString(), "is a folder");
    }

    @Test
    void deviceAsModelIsRefused() {
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/null")), "no /dev/null");
        assertOneLine(CliTest.phd("info", "-m", "/dev/null"), "/dev/null: not a regular file");
        assertOneLine(CliTest.phd("tokenize", "-m", "/dev/null"), "/dev/null: not a regular file");
    }

    /** Opening a FIFO without a writer blocks forever: it must be refused on its attributes. */
    @Test
    void fifoAsModelOrPromptFileDoesNotBlock() throws Exception {
        Path fifo = dir.resolve("fifo");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        Assumptions.assumeTrue(mk.waitFor() == 0 && Files.exists(fifo), "mkfifo not available");
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            assertOneLine(CliTest.phd("run", "-m", fifo.toString(), "-p", "hi"), fifo.toString(), "not a regular file");
            assertOneLine(CliTest.phd("run", "-m", CliTest.stories(), "-f", fifo.toString()), fifo.toString(), "not a regular file");
            assertOneLine(CliTest.phd("tokenize", "-m", CliTest.stories(), "--cases", fifo.toString()), fifo.toString(), "not a regular file");
        });
    }

    @Test
    void invalidUtf8IsRefusedOnStdinAsInAPromptFile() throws Exception {
        byte[] latin1 = {'c', 'a', 'f', (byte) 0xE9, '\n'};
        Path file = dir.resolve("latin1.txt");
        Files.write(file, latin1);
        assertOneLine(CliTest.phd("run", "-m", CliTest.stories(), "-f", file.toString()), file + ": not UTF-8 text");
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream(latin1));
            assertOneLine(CliTest.phd("tokenize", "-m", CliTest.stories()), "stdin: not UTF-8 text");
            System.setIn(new ByteArrayInputStream("café\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            CliTest.Result ok = CliTest.phd("tokenize", "-m", CliTest.stories());
            assertEquals(0, ok.status(), ok.err());
        } finally {
            System.setIn(stdin);
        }
    }

    /** The catch at the top: an Error or an unexpected exception is one line with what was being done. */
    @Test
    void outOfMemoryAndBugsAreOneLineNamingTheStep() {
        CommandLine run = Main.commandLine().getSubcommands().get("run");
        StringWriter err = new StringWriter();
        run.setErr(new PrintWriter(err, true));
        Activity.set("loading models/x.gguf");
        assertEquals(Main.RUN_ERROR, Main.failure(new OutOfMemoryError("Java heap space"), run));
        Activity.set("generating with models/x.gguf");
        assertEquals(Main.RUN_ERROR, Main.failure(new ArrayIndexOutOfBoundsException("Index 7 out of bounds for length 7"), run));
        String[] lines = err.toString().strip().split("\n");
        assertEquals(2, lines.length, err.toString());
        assertTrue(lines[0].startsWith("phd run: out of memory (Java heap space) while loading models/x.gguf"), lines[0]);
        assertTrue(lines[1].startsWith("phd run: unexpected java.lang.ArrayIndexOutOfBoundsException: Index 7 out of bounds for length 7"
                + " while generating with models/x.gguf"), lines[1]);
        assertTrue(lines[1].endsWith("(--verbose prints the trace)"), lines[1]);
    }
}
