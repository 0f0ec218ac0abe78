package phd4j.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code phd} command line: one subcommand class per command. */
@Command(name = "phd", mixinStandardHelpOptions = true, version = "phd4j 0.1.0",
        description = "Runs Llama and PHD-Transformer models from GGUF files.",
        subcommands = {RunCommand.class, LogitsCommand.class, TokenizeCommand.class, InfoCommand.class, BenchCommand.class, SweepCommand.class,
                QuantizeCommand.class, SynthCommand.class, ChatCommand.class, TemplateCommand.class, ServeCommand.class, TrainTokenizerCommand.class, TrainCommand.class, TrainPlotCommand.class, PerplexityCommand.class, LoadgenCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Usage mistakes exit with this status after one line on stderr, like most Unix tools. */
    static final int USAGE_ERROR = 2;
    /** Failures at run time (unreadable file, bad model, prompt too long) exit with this. */
    static final int RUN_ERROR = 1;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    static int execute(String... args) {
        CommandLine cl = commandLine();
        // Generated text is UTF-8 whatever the platform charset; commands flush as they stream.
        cl.setOut(new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8)));
        cl.setErr(new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.err), StandardCharsets.UTF_8), true));
        int status = cl.execute(args);
        cl.getOut().flush();
        return status;
    }

    /** The command tree with phd's error handling; tests set its out and err. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler(Main::usageError);
        cl.setExecutionExceptionHandler((e, line, parsed) -> runError(e, line));
        cl.setExecutionStrategy(Main::runCatchingErrors);
        // logits takes -p and --ids repeatedly, in order: each occurrence calls its setter.
        cl.getSubcommands().get("logits").setOverwrittenOptionsAllowed(true);
        return cl;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing command (" + String.join(", ", spec.subcommands().keySet()) + ")");
    }

    /**
     * picocli hands exceptions to {@link #runError} but lets Errors through: running out of heap or
     * off-heap memory would end in a JVM trace. Caught here once for every command, as one line.
     */
    private static int runCatchingErrors(CommandLine.ParseResult parsed) {
        Activity.clear();
        try {
            return new CommandLine.RunLast().execute(parsed);
        } catch (OutOfMemoryError | StackOverflowError e) {
            CommandLine line = parsed.asCommandLineList().getLast();
            return failure(e, line);
        }
    }

    /** The one line (the trace with --verbose) for an Error or an unexpected exception: what, and while doing what. */
    static int failure(Throwable e, CommandLine line) {
        PrintWriter err = line.getErr();
        if (VerboseOption.verbose) {
            e.printStackTrace(err);
        } else {
            String name = line.getCommandSpec().qualifiedName();
            String what = e instanceof OutOfMemoryError ? "out of memory (" + e.getMessage() + ")"
                    : "unexpected " + e.getClass().getName() + (e.getMessage() != null ? ": " + e.getMessage().lines().findFirst().orElse("") : "");
            String hint = e instanceof OutOfMemoryError ? "; a smaller -c or a larger -Xmx in PHD_JAVA_OPTS may help" : "; a bug in phd4j";
            err.println(name + ": " + what + Activity.suffix() + hint + " (--verbose prints the trace)");
        }
        err.flush();
        return RUN_ERROR;
    }

    private static int usageError(CommandLine.ParameterException e, String[] args) {
        PrintWriter err = e.getCommandLine().getErr();
        String name = e.getCommandLine().getCommandSpec().qualifiedName();
        err.println(name + ": " + e.getMessage() + " (see '" + name + " --help')");
        err.flush();
        return USAGE_ERROR;
    }

    /**
     * User mistakes discovered while running (a malformed model file, a prompt longer than the
     * context, an unreadable prompt file) are one line; anything else is a bug, also one line,
     * naming the step it happened in, with its trace under --verbose.
     */
    private static int runError(Exception e, CommandLine line) {
        PrintWriter err = line.getErr();
        String name = line.getCommandSpec().qualifiedName();
        boolean userError = e instanceof UserException || e instanceof phd4j.gguf.GgufException
                || e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException
                || e instanceof IllegalArgumentException || e instanceof phd4j.chat.ChatTemplateException;
        if (!userError) return failure(e, line);
        if (VerboseOption.verbose) e.printStackTrace(err);
        else err.println(name + ": " + message(e));
        err.flush();
        return RUN_ERROR;
    }

    private static String message(Throwable e) {
        if (e instanceof java.nio.file.NoSuchFileException n) return "no such file: " + n.getFile();
        if (e instanceof java.io.UncheckedIOException u && u.getCause() != null) return message(u.getCause());
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** A mistake in the user's input found at run time: reported as one line. */
    static final class UserException extends RuntimeException {
        UserException(String message) {
            super(message);
        }
    }
}
