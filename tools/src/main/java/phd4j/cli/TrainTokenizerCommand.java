package phd4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import phd4j.tokenizer.BpeTrainer;
import phd4j.tokenizer.TrainedVocab;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code phd train-tokenizer}: learns a byte-level BPE vocabulary from text files and writes it
 * as a vocabulary-only GGUF in llama.cpp's {@code gpt2} form (see {@link TrainedVocab}).
 */
@Command(name = "train-tokenizer", mixinStandardHelpOptions = true,
        description = {"Train a byte-level BPE tokenizer on UTF-8 text files and write a vocabulary-only GGUF",
                "(tokenizer.ggml.model gpt2: 256 byte tokens, merged tokens, <|endoftext|> as BOS and EOS, no BOS added).",
                "Same files and settings give the same file: ties between equally frequent pairs go to the smaller token ids."})
final class TrainTokenizerCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "VOCAB.gguf", description = "output file (written atomically)")
    Path out;

    @Option(names = "--vocab-size", required = true, paramLabel = "N", description = "tokens in the vocabulary, bytes and <|endoftext|> included (>= 257)")
    int vocabSize;

    @Option(names = "--pre", paramLabel = "NAME", defaultValue = "gpt-2",
            description = "pre-tokenizer (tokenizer.ggml.pre): gpt-2 (GPT-2's) or llama-bpe (Llama 3's) (default: ${DEFAULT-VALUE})")
    String pre;

    @Option(names = "--min-count", paramLabel = "C", defaultValue = "2",
            description = "stop early when no pair occurs C times (default: ${DEFAULT-VALUE})")
    int minCount;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "UTF-8 text files")
    List<Path> files;

    @Mixin VerboseOption verbose;

    @Override
    public Integer call() throws IOException {
        if (vocabSize < 257) throw bad("--vocab-size must be >= 257 (256 bytes + <|endoftext|>), got " + vocabSize);
        if (!pre.equals("gpt-2") && !pre.equals("llama-bpe")) throw bad("--pre must be gpt-2 or llama-bpe, got " + pre);
        if (minCount < 1) throw bad("--min-count must be >= 1, got " + minCount);
        PrintWriter err = spec.commandLine().getErr();
        long t0 = System.nanoTime();
        BpeTrainer trainer = new BpeTrainer(pre);
        long bytes = 0;
        for (Path f : files) {
            byte[] data = Files.readAllBytes(f);
            bytes += data.length;
            trainer.addText(TextFiles.decode(f, data));
        }
        err.printf("counted %d words (%d distinct) in %d files, %s, in %.1f s%n", trainer.wordCount(), trainer.distinctWords(),
                files.size(), InfoCommand.bytes(bytes), (System.nanoTime() - t0) / 1e9);
        long t1 = System.nanoTime();
        ProgressBar bar = new ProgressBar(err, "merges", n -> Long.toString(n));
        TrainedVocab vocab;
        try {
            vocab = trainer.train(vocabSize, minCount, (done, total) -> bar.update(done, total, ""));
        } finally {
            bar.finish();
        }
        vocab.write(out);
        err.printf("wrote %s: %d tokens (%d merges), pre %s, in %.1f s%n", out, vocab.size(), vocab.merges().size(), pre,
                (System.nanoTime() - t1) / 1e9);
        if (vocab.size() < vocabSize) {
            err.printf("note: stopped at %d tokens: no pair occurs %d times any more%n", vocab.size(), minCount);
        }
        return 0;
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
