package phd4j.tokenizer;

/** A pre-tokenizer scanner's view of one chunk: flags that read as 0 outside it, and the cut list. */
final class Chunk {
    private final int[] cps;
    private final int start;
    private final int end;
    private final BaseTokenizer.IntList lengths;
    private int lastCut;

    Chunk(int[] cps, int start, int end, BaseTokenizer.IntList lengths) {
        this.cps = cps;
        this.start = start;
        this.end = end;
        this.lengths = lengths;
        this.lastCut = start;
    }

    int flags(int pos) {
        return pos >= start && pos < end ? CodepointFlags.of(cps[pos]) : 0;
    }

    /** The code point at pos, or -1 outside the chunk. */
    int cp(int pos) {
        return pos >= start && pos < end ? cps[pos] : -1;
    }

    /** Ends a piece at pos (nothing if empty) and returns pos. */
    int cut(int pos) {
        if (pos > lastCut) lengths.add(pos - lastCut);
        lastCut = pos;
        return pos;
    }

    /** In the chunk and neither whitespace, letter nor number: {@code [^\s\p{L}\p{N}]}. */
    static boolean isOther(int flags) {
        return flags != 0 && (flags & (CodepointFlags.WHITESPACE | CodepointFlags.LETTER | CodepointFlags.NUMBER)) == 0;
    }
}
