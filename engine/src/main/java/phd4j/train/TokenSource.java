package phd4j.train;

/** Token ids a trainer reads: a tokenized corpus (in memory, memory-mapped, ...). */
public interface TokenSource {
    /** Token i, 0 <= i < size(). */
    int get(long i);

    long size();

    /** Tokens held in an int array. */
    static TokenSource of(int[] tokens) {
        return new TokenSource() {
            @Override
            public int get(long i) {
                return tokens[Math.toIntExact(i)];
            }

            @Override
            public long size() {
                return tokens.length;
            }
        };
    }
}
