package phd4j.tokenizer;

import java.util.function.IntPredicate;

/**
 * A pass for regexes of the form {@code [class]+} or a fixed-length {@code [class]{n}}: each match
 * becomes a piece and so does the text between matches, as in llama.cpp's std::regex fallback.
 * Used by the "default" BPE pre-tokenizer.
 */
final class RunSplit implements SplitRule {
    private final IntPredicate member;
    private final int exactLength;

    private RunSplit(IntPredicate member, int exactLength) {
        this.member = member;
        this.exactLength = exactLength;
    }

    /** {@code [class]+}: maximal runs. */
    static RunSplit runs(IntPredicate member) {
        return new RunSplit(member, 0);
    }

    /** {@code [class]{n}}: non-overlapping groups of exactly n, leftmost first. */
    static RunSplit groups(IntPredicate member, int n) {
        return new RunSplit(member, n);
    }

    @Override
    public void split(int[] cps, int start, int end, BaseTokenizer.IntList lengths) {
        int gapStart = start;
        int pos = start;
        while (pos < end) {
            int run = 0;
            while (pos + run < end && member.test(cps[pos + run]) && (exactLength == 0 || run < exactLength)) run++;
            if (run == 0 || (exactLength > 0 && run < exactLength)) {
                pos++;
                continue;
            }
            if (pos > gapStart) lengths.add(pos - gapStart);
            lengths.add(run);
            pos += run;
            gapStart = pos;
        }
        if (end > gapStart) lengths.add(end - gapStart);
    }
}
