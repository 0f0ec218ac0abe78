package phd4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import phd4j.gguf.GgufFile;
import phd4j.model.ModelShape;
import phd4j.phd.PhdConfig;
import phd4j.simd.GgmlType;
import phd4j.synth.Arch;
import phd4j.synth.SyntheticModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code phd synth}: writes a random-weight model of a real shape, for benchmarks and engine comparisons. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Write a GGUF model with random weights (llama: ~N(0, 0.02^2), norms 1), generated as it is written.",
                "The same options and seed give the same file. llama.cpp loads and runs it too."})
final class SynthCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--shape", paramLabel = "NAME", description = "a named shape: " + SyntheticModel.SHAPE_NAMES)
    String shapeName;

    @Option(names = "--dims", paramLabel = "D,L,H,KV,FFN,V[,HD]", description = "dim,layers,heads,kvHeads,ffn,vocab[,head size]; the head size is dim / heads unless given")
    String dims;

    @Option(names = "--arch", paramLabel = "ARCH", defaultValue = "llama",
            description = "architecture: " + Arch.NAMES + "; the others than llama get weights of order 1, norms and biases"
                    + " that are not trivial, and small sliding windows and soft-caps (default: ${DEFAULT-VALUE})")
    String archName;

    @Option(names = "--type", paramLabel = "TYPE", defaultValue = "Q8_0",
            description = "type of every weight matrix (the output one too): F32, F16, BF16, Q8_0, Q5_0, Q5_1, Q4_0, or Q4_K, Q5_K, Q6_K"
                    + " (rows a multiple of 256: not the tiny shape) (default: ${DEFAULT-VALUE})")
    String typeName;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, description = "the GGUF file to write (atomically)")
    Path out;

    @Option(names = "--vocab", paramLabel = "VOCAB.gguf",
            description = "copy the tokenizer.* keys (and the vocabulary size) from this GGUF; default: a synthetic byte-fallback vocabulary")
    Path vocab;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--ctx", paramLabel = "N", defaultValue = "2048", description = "llama.context_length (default: ${DEFAULT-VALUE})")
    int context;

    @Mixin PhdOptions phdOptions;

    @Mixin VerboseOption verbose;

    @Override
    public Integer call() {
        ModelShape shape = shape();
        GgmlType type = QuantizeCommand.parseType(spec, typeName);
        PhdConfig phd = phdOptions.config();
        PrintWriter err = spec.commandLine().getErr();
        long t0 = System.nanoTime();
        GgufFile vocabFile = vocab != null ? GgufFile.open(vocab) : null;
        try {
            SyntheticModel.Options options;
            try {
                Arch arch = Arch.named(archName);
                if (arch == null) throw bad("unknown architecture '" + archName + "' (" + Arch.NAMES + ")");
                options = new SyntheticModel.Options(arch, shape, type, seed, context, vocabFile, phd);
            } catch (IllegalArgumentException e) {
                throw bad(e.getMessage());
            }
            if (vocabFile == null && shape.vocab() < SyntheticModel.MIN_SYNTHETIC_VOCAB) {
                throw bad("vocab " + shape.vocab() + " is too small for the synthetic vocabulary (at least "
                        + SyntheticModel.MIN_SYNTHETIC_VOCAB + ": specials and byte tokens); give --vocab or a larger one");
            }
            if (vocabFile != null && !vocabFile.has("tokenizer.ggml.tokens")) {
                throw new Main.UserException(vocab + ": has no tokenizer.ggml.tokens");
            }
            err.println("synth: " + options.arch().key() + " " + (shapeName != null ? shapeName + " (" + shape + ")" : shape) + (vocabFile != null ? ", vocabulary from " + vocab : "") + ", " + type + ", seed " + seed);
            ProgressBar bar = new ProgressBar(err, "synth");
            try {
                SyntheticModel.write(out, options, bar);
            } finally {
                bar.finish();
            }
        } finally {
            if (vocabFile != null) vocabFile.close();
        }
        err.printf("wrote %s (%s) in %.1f s%n", out, InfoCommand.bytes(out.toFile().length()), (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private ModelShape shape() {
        if ((shapeName == null) == (dims == null)) throw bad("give either --shape NAME or --dims D,L,H,KV,FFN,V[,HD]");
        if (shapeName != null) {
            ModelShape s = SyntheticModel.namedShape(shapeName);
            if (s == null) throw bad("unknown shape '" + shapeName + "' (" + SyntheticModel.SHAPE_NAMES + ")");
            return s;
        }
        try {
            return ModelShape.parse(dims);
        } catch (IllegalArgumentException e) {
            throw bad("--dims: " + e.getMessage());
        }
    }


    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
