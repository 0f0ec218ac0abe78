package phd4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Options every model command takes (a picocli mixin). */
final class CommonOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "GGUF model file (default: the shipped models/default.gguf)")
    Path modelOption;

    /** The model to use: -m, else the default model shipped in the project's models folder. */
    Path model() {
        Path model = modelOption != null ? modelOption : defaultModel();
        if (modelOption == null && !java.nio.file.Files.isRegularFile(model)) throw bad("-m FILE is required (no default model at " + model + ")");
        Activity.set("loading " + model);
        return model;
    }

    /** models/default.gguf under the project folder the launcher names (phd4j.home), else under the working folder. */
    static Path defaultModel() {
        String home = System.getProperty("phd4j.home");
        return (home != null ? Path.of(home) : Path.of("")).resolve("models").resolve("default.gguf");
    }

    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "worker threads (default: one per core)")
    void setThreads(int n) {
        if (n < 1) throw new ParameterException(spec.commandLine(), "--threads must be >= 1, got " + n);
        threads = n;
    }

    @Option(names = "--no-repack", description = "decode Q4_*, Q5_* and Q6_K matrices from the mapped file, without the faster interleaved copy made at load")
    boolean noRepack;

    /** How to load the model: these threads and repack choice, {@code phd} imposed (null: the file's settings). */
    phd4j.LoadOptions loadOptions(phd4j.phd.PhdConfig phd) {
        return new phd4j.LoadOptions(threads, phd, !noRepack);
    }

    @Mixin VerboseOption verbose;

    /** Throws the usage error for a bad value of an option (exit status 2, one line). */
    ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
