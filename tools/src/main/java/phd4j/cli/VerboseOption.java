package phd4j.cli;

import picocli.CommandLine.Option;

/** {@code --verbose} (a picocli mixin): stack traces for every error, and the JVM's warnings (the launcher keeps them). */
final class VerboseOption {
    /** Set by --verbose on any command. */
    static boolean verbose;

    @Option(names = "--verbose", description = "show stack traces and JVM warnings")
    void setVerbose(boolean v) {
        verbose = v;
    }
}
