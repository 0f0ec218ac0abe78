package phd4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Options every model command takes (a picocli mixin). */
final class CommonOptions {
    /** Set by --verbose on any command: show stack traces and JVM warnings. */
    static boolean verbose;

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "GGUF model file")
    Path model;

    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "worker threads (default: one per core)")
    void setThreads(int n) {
        if (n < 1) throw new ParameterException(spec.commandLine(), "--threads must be >= 1, got " + n);
        threads = n;
    }

    @Option(names = "--verbose", description = "show stack traces and JVM warnings")
    void setVerbose(boolean v) {
        verbose = v;
    }

    /** Throws the usage error for a bad value of an option (exit status 2, one line). */
    ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
