package phd4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The pre-tokenizer scanners, by example and against the regexes they stand for. */
class PreTokenizerTest {

    static List<String> words(String pre, String text) {
        int[] cps = text.codePoints().toArray();
        BaseTokenizer.IntList lengths = PreTokenizer.forName(pre).split(cps);
        List<String> words = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < lengths.size(); i++) {
            words.add(new String(cps, start, lengths.get(i)));
            start += lengths.get(i);
        }
        return words;
    }

    @Test
    void gpt2() {
        assertEquals(List.of("Hello", " world", "'s", " 12345", "  ", " !!", "\n"), words("gpt-2", "Hello world's 12345   !!\n"));
        assertEquals(List.of("'", "S"), words("gpt-2", "'S")); // contractions are case-sensitive here
    }

    @Test
    void llama3GroupsDigitsByThreeAndIgnoresCaseInContractions() {
        assertEquals(List.of("123", "456", "7"), words("llama-bpe", "1234567"));
        assertEquals(List.of("I", "'M", " fine", ".\n\n", "  ", " x"), words("llama-bpe", "I'M fine.\n\n   x"));
        assertEquals(List.of("a", " \n\n", "b"), words("llama3", "a \n\nb"));
    }

    @Test
    void qwen2SplitsEveryDigit() {
        assertEquals(List.of("1", "2", "3", " abc"), words("qwen2", "123 abc"));
    }

    @Test
    void defaultCascadeSplitsPunctuationAndDigitTriples() {
        assertEquals(List.of("a", "...", "b", " ", "123", "45"), words("default", "a...b 12345"));
        assertEquals(words("default", "x"), words(null, "x"));
    }

    @Test
    void unknownPreTokenizerIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PreTokenizer.forName("xyz"));
        assertTrue(e.getMessage().contains("tokenizer.ggml.pre") && e.getMessage().contains("xyz"), e.getMessage());
    }

    /** The regexes as written in llama.cpp, in java.util.regex with Unicode \s (White_Space). */
    private static final Pattern GPT2 = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern LLAMA3 = Pattern.compile(
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
                    + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    static List<String> regexWords(Pattern p, String text) {
        List<String> words = new ArrayList<>();
        Matcher m = p.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) words.add(text.substring(last, m.start()));
            words.add(m.group());
            last = m.end();
        }
        if (last < text.length()) words.add(text.substring(last));
        return words;
    }

    static List<String> texts() {
        List<String> texts = new ArrayList<>(List.of("Hello world", " \t\n  x  ", "it's  'll 'LL", "🦙🦙 ∑x² ① Ⅻ", "a\u00A0b\u3000c"));
        if (System.getenv("PHD4J_SHARED") != null) {
            for (VocabFixtures.Case c : VocabFixtures.cases("gpt-2")) texts.add(c.text());
        }
        return texts;
    }

    /** On assigned code points the scanners agree with the regexes (they differ on unassigned ones). */
    @ParameterizedTest
    @MethodSource("texts")
    void scannersAgreeWithTheRegexes(String text) {
        assertEquals(regexWords(GPT2, text), words("gpt-2", text));
        assertEquals(regexWords(LLAMA3, text), words("llama-bpe", text));
    }
}
