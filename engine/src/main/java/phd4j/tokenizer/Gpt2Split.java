package phd4j.tokenizer;

import static phd4j.tokenizer.CodepointFlags.LETTER;
import static phd4j.tokenizer.CodepointFlags.NUMBER;
import static phd4j.tokenizer.CodepointFlags.WHITESPACE;

/**
 * GPT-2's pre-tokenizer, {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+},
 * as llama.cpp evaluates it: not with a regex engine but with the hand-written scanner in its
 * unicode.cpp, whose results this reproduces, including where they differ from the regex (an
 * unassigned code point, for instance, is a piece of its own).
 */
final class Gpt2Split implements SplitRule {
    @Override
    public void split(int[] cps, int start, int end, BaseTokenizer.IntList lengths) {
        Chunk c = new Chunk(cps, start, end, lengths);
        int pos = start;
        while (pos < end) {
            int cp = cps[pos];
            int flags = c.flags(pos);
            if (cp == '\'' && pos + 1 < end) {
                int next = cps[pos + 1];
                if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                    pos = c.cut(pos + 2);
                    continue;
                }
                if (pos + 2 < end) {
                    int next2 = cps[pos + 2];
                    if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l')) {
                        pos = c.cut(pos + 3);
                        continue;
                    }
                }
            }
            int flags2 = cp == ' ' ? c.flags(pos + 1) : flags;
            if ((flags2 & LETTER) != 0 || (flags2 & NUMBER) != 0) { // ' ?\p{L}+' or ' ?\p{N}+'
                int kind = flags2 & (LETTER | NUMBER);
                if (cp == ' ') pos++;
                while ((c.flags(pos) & kind) != 0) pos++;
                c.cut(pos);
                continue;
            }
            if (Chunk.isOther(flags2)) { // ' ?[^\s\p{L}\p{N}]+'
                if (cp == ' ') pos++;
                while (Chunk.isOther(c.flags(pos))) pos++;
                c.cut(pos);
                continue;
            }
            int spaces = 0;
            while ((c.flags(pos + spaces) & WHITESPACE) != 0) spaces++;
            if (spaces > 1 && pos + spaces < end) { // '\s+(?!\S)': leave the last space to the next word
                pos = c.cut(pos + spaces - 1);
            } else if (spaces > 0) {
                pos = c.cut(pos + spaces);
            } else {
                pos = c.cut(pos + 1);
            }
        }
    }
}
