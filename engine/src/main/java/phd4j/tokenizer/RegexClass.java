package phd4j.tokenizer;

import java.util.function.IntPredicate;

/**
 * The character classes of the pre-tokenizer regexes llama.cpp runs through std::regex, with the
 * meaning they get there: a regex using {@code \p{..}} runs on text whose non-ASCII code points
 * are collapsed to their category (so {@code \p{L}} is any letter), and one listing explicit
 * ranges runs on the code points themselves; in both, non-ASCII whitespace reads as U+000B, so it
 * matches {@code \s} and no range.
 */
final class RegexClass {
    private RegexClass() {}

    /** {@code \s} */
    static final IntPredicate WHITESPACE = CodepointFlags::isWhitespace;

    /** {@code [\r\n]} */
    static final IntPredicate NEWLINE = cp -> cp == '\r' || cp == '\n';

    /** {@code \p{..}} for these {@link CodepointFlags} categories, e.g. LETTER for {@code \p{L}}. */
    static IntPredicate category(int flags) {
        return cp -> (CodepointFlags.of(cp) & flags) != 0;
    }

    /**
     * A bracket expression's body as llama.cpp writes it, e.g. {@code "A-Za-zµÀ-Ö"}: single code
     * points and {@code a-b} ranges, no escapes.
     */
    static IntPredicate ranges(String body) {
        int[] cps = body.codePoints().toArray();
        int[] bounds = new int[cps.length * 2];
        int n = 0;
        for (int i = 0; i < cps.length; n += 2) {
            boolean range = i + 2 < cps.length && cps[i + 1] == '-';
            bounds[n] = cps[i];
            bounds[n + 1] = range ? cps[i + 2] : cps[i];
            i += range ? 3 : 1;
        }
        int count = n;
        return cp -> {
            if (cp > 0x7F && CodepointFlags.isWhitespace(cp)) return false;
            for (int i = 0; i < count; i += 2) {
                if (cp >= bounds[i] && cp <= bounds[i + 1]) return true;
            }
            return false;
        };
    }
}
