package phd4j.tokenizer;

import static phd4j.tokenizer.CodepointFlags.NUMBER;
import static phd4j.tokenizer.CodepointFlags.WHITESPACE;

/**
 * Llama-3's pre-tokenizer, {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 * ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+}, and Qwen2's, the same with {@code \p{N}}
 * (one digit per piece), and Qwen3.5's, Qwen2's with {@code [\p{L}\p{M}]} for letters (marks stay
 * in words), as llama.cpp's hand-written scanners in unicode.cpp evaluate them.
 */
final class Llama3Split implements SplitRule {
    private final int maxDigits;
    private final int wordFlags;

    /**
     * @param maxDigits 3 for Llama-3, 1 for Qwen2
     * @param wordFlags what {@code \p{L}} stands for: LETTER, or LETTER | MARK for Qwen3.5
     */
    Llama3Split(int maxDigits, int wordFlags) {
        this.maxDigits = maxDigits;
        this.wordFlags = wordFlags;
    }

    @Override
    public void split(int[] cps, int start, int end, BaseTokenizer.IntList lengths) {
        Chunk c = new Chunk(cps, start, end, lengths);
        int pos = start;
        while (pos < end) {
            int cp = cps[pos];
            int flags = c.flags(pos);
            if (cp == '\'' && pos + 1 < end) { // contractions, case-insensitive
                int next = Character.toLowerCase(cps[pos + 1]);
                if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                    pos = c.cut(pos + 2);
                    continue;
                }
                if (pos + 2 < end) {
                    int next2 = Character.toLowerCase(cps[pos + 2]);
                    if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l')) {
                        pos = c.cut(pos + 3);
                        continue;
                    }
                }
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (cp != '\r' && cp != '\n' && (flags & NUMBER) == 0
                    && ((flags & wordFlags) != 0 || (c.flags(pos + 1) & wordFlags) != 0)) {
                pos++;
                while ((c.flags(pos) & wordFlags) != 0) pos++;
                c.cut(pos);
                continue;
            }
            // \p{N}{1,3}: a run of digits in groups of maxDigits from the left
            if ((flags & NUMBER) != 0) {
                int group = pos;
                while ((c.flags(pos) & NUMBER) != 0) {
                    if (++pos - group >= maxDigits) group = c.cut(pos);
                }
                c.cut(pos);
                continue;
            }
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*' (llama.cpp tests the space's own flags here, not the next's)
            int flags2 = cp == ' ' ? c.flags(pos + 1) : flags;
            if ((flags2 & (WHITESPACE | wordFlags | NUMBER)) == 0 && flags != 0) {
                if (cp == ' ') pos++;
                while (c.flags(pos) != 0 && (c.flags(pos) & (WHITESPACE | wordFlags | NUMBER)) == 0) pos++;
                while (c.cp(pos) == '\r' || c.cp(pos) == '\n') pos++;
                c.cut(pos);
                continue;
            }
            int spaces = 0;
            int afterLastNewline = -1;
            while ((c.flags(pos + spaces) & WHITESPACE) != 0) {
                int ws = cps[pos + spaces];
                if (ws == '\r' || ws == '\n') afterLastNewline = pos + spaces + 1;
                spaces++;
            }
            if (afterLastNewline >= 0) { // \s*[\r\n]+
                pos = c.cut(afterLastNewline);
            } else if (spaces > 1 && pos + spaces < end) { // \s+(?!\S)
                pos = c.cut(pos + spaces - 1);
            } else if (spaces > 0) {
                pos = c.cut(pos + spaces);
            } else {
                pos = c.cut(pos + 1);
            }
        }
    }
}
