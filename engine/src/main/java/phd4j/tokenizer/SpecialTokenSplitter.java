package phd4j.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts special-token texts out of the input before the ordinary tokenizer sees it, the way
 * llama.cpp's tokenizer_st_partition does: one special token at a time, longest text first,
 * every occurrence in every remaining text fragment. Control and unknown tokens take part only
 * when parsing specials is asked for; user-defined tokens always do.
 */
final class SpecialTokenSplitter {
    /** A piece of the input: either a token already decided, or the text range [start, end). */
    record Fragment(int token, int start, int end) {
        static Fragment text(int start, int end) {
            return new Fragment(-1, start, end);
        }

        boolean isToken() {
            return token >= 0;
        }
    }

    private SpecialTokenSplitter() {}

    static List<Fragment> split(Vocab vocab, String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) return fragments;
        fragments.add(Fragment.text(0, text.length()));
        for (int id : vocab.partitionOrder) {
            if (!parseSpecial && vocab.has(id, TokenAttr.CONTROL | TokenAttr.UNKNOWN)) continue;
            String special = vocab.texts[id];
            if (!text.contains(special)) continue;
            List<Fragment> next = new ArrayList<>(fragments.size() + 2);
            for (Fragment f : fragments) {
                if (f.isToken()) {
                    next.add(f);
                    continue;
                }
                int from = f.start();
                int match;
                while ((match = indexOf(text, special, from, f.end())) >= 0) {
                    if (match > from) next.add(Fragment.text(from, match));
                    next.add(new Fragment(id, match, match + special.length()));
                    from = match + special.length();
                }
                if (from < f.end()) next.add(Fragment.text(from, f.end()));
            }
            fragments = next;
        }
        return fragments;
    }

    /** First occurrence of needle lying wholly inside [from, end), or -1; never looks past end. */
    private static int indexOf(String text, String needle, int from, int end) {
        int last = end - needle.length();
        char first = needle.charAt(0);
        for (int i = from; i <= last; i++) {
            if (text.charAt(i) == first && text.regionMatches(i, needle, 0, needle.length())) return i;
        }
        return -1;
    }
}
