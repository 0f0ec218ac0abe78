package phd4j.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * llama.cpp's tokenizer test-vector format ({@code .inp} files): texts, each followed by a
 * separator line, split as its test-tokenizer-0 splits them.
 */
public final class VocabTestCases {
    /** Follows every text, the last one included. */
    public static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    private VocabTestCases() {}

    /** The texts of an .inp file; text after the last separator (if any) is a case too. */
    public static List<String> split(String content) {
        List<String> texts = new ArrayList<>();
        int pos = 0;
        while (pos < content.length()) {
            int next = content.indexOf(SEPARATOR, pos);
            if (next < 0) {
                texts.add(content.substring(pos));
                break;
            }
            texts.add(content.substring(pos, next));
            pos = next + SEPARATOR.length();
        }
        return texts;
    }
}
