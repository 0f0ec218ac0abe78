package phd4j.tokenizer;

import java.util.function.IntPredicate;

/**
 * A pass for the simple regexes llama.cpp runs through std::regex rather than a hand-written
 * scanner: {@code [class]+}, {@code [prefix]?[class]+}, a fixed-length {@code [class]{n}} and
 * {@code [class]+$}. Each match becomes a piece and so does the text between matches, as in
 * llama.cpp's unicode_regex_split_stl. The classes are {@link RegexClass} predicates.
 */
final class RunSplit implements SplitRule {
    private final IntPredicate prefix;
    private final IntPredicate member;
    private final int exactLength;
    private final boolean atEnd;

    private RunSplit(IntPredicate prefix, IntPredicate member, int exactLength, boolean atEnd) {
        this.prefix = prefix;
        this.member = member;
        this.exactLength = exactLength;
        this.atEnd = atEnd;
    }

    /** {@code [class]+}: maximal runs. */
    static RunSplit runs(IntPredicate member) {
        return new RunSplit(cp -> false, member, 0, false);
    }

    /** {@code [prefix]?[class]+}: a run, with one prefix code point before it when there is one; the classes are disjoint. */
    static RunSplit prefixedRuns(IntPredicate prefix, IntPredicate member) {
        return new RunSplit(prefix, member, 0, false);
    }

    /** {@code [class]{n}}: non-overlapping groups of exactly n, leftmost first. */
    static RunSplit groups(IntPredicate member, int n) {
        return new RunSplit(cp -> false, member, n, false);
    }

    /** {@code [class]+$}: the run that ends the piece, if any. */
    static RunSplit trailing(IntPredicate member) {
        return new RunSplit(cp -> false, member, 0, true);
    }

    @Override
    public void split(int[] cps, int start, int end, BaseTokenizer.IntList lengths) {
        int gapStart = start;
        int pos = start;
        while (pos < end) {
            int from = pos + 1 < end && prefix.test(cps[pos]) && member.test(cps[pos + 1]) ? pos + 1 : pos;
            int run = 0;
            while (from + run < end && member.test(cps[from + run]) && (exactLength == 0 || run < exactLength)) run++;
            boolean matched = run > 0 && (exactLength == 0 || run == exactLength) && (!atEnd || from + run == end);
            if (!matched) {
                pos += atEnd && run > 0 ? run : 1; // no position inside a run that stops short of the end matches either
                continue;
            }
            if (pos > gapStart) lengths.add(pos - gapStart);
            lengths.add(from + run - pos);
            pos = from + run;
            gapStart = pos;
        }
        if (end > gapStart) lengths.add(end - gapStart);
    }
}
