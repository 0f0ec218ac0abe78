package phd4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import phd4j.gguf.GgufFile;
import phd4j.tokenizer.Tokenizer;
import phd4j.tokenizer.VocabTestCases;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

/**
 * {@code phd tokenize}: token ids of text. With {@code --cases} it reads llama.cpp's vocab test
 * format (cases separated by a marker line) and prints one line of ids per case, without BOS:
 * the format of the {@code .out} files. Needs only the tokenizer metadata, so vocab-only GGUF
 * files work.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the token ids of stdin, or of each case of a llama.cpp vocab test file.")
final class TokenizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "GGUF file with a tokenizer")
    Path model;

    @Option(names = "--cases", paramLabel = "CASES.inp", description = "llama.cpp vocab test cases; one line of ids (no BOS) per case")
    Path cases;

    @Option(names = "--no-bos", description = "plain mode: do not add BOS even if the model asks for it")
    boolean noBos;

    @Option(names = "--parse-special", description = "recognise special tokens such as <s> written in the text")
    boolean parseSpecial;

    @Mixin VerboseOption verbose;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        try (GgufFile file = GgufFile.open(model)) {
            Tokenizer tokenizer = Tokenizer.fromGguf(file);
            if (cases != null) {
                for (String text : VocabTestCases.split(TextFiles.read(cases))) out.println(join(tokenizer.encode(text, false, parseSpecial)));
            } else {
                // strict, as run -f: invalid bytes would be tokenized as U+FFFD without a word
                String text = TextFiles.decode(System.in.readAllBytes()).orElseThrow(() -> new Main.UserException("stdin: not UTF-8 text"));
                out.println(join(tokenizer.encode(text, !noBos, parseSpecial)));
            }
        }
        out.flush();
        return 0;
    }

    /** Each id preceded by a space, exactly as llama.cpp's test-tokenizer-0 writes its .out files. */
    private static String join(int[] ids) {
        StringBuilder b = new StringBuilder();
        for (int id : ids) b.append(' ').append(id);
        return b.toString();
    }
}
