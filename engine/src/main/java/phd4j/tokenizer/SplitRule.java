package phd4j.tokenizer;

/**
 * One pre-tokenizer pass: cuts the code points cps[start, end) into consecutive pieces and appends
 * their lengths. llama.cpp runs its pre-tokenizer regexes this way, each pass re-cutting the
 * pieces the previous one made.
 */
interface SplitRule {
    void split(int[] cps, int start, int end, BaseTokenizer.IntList lengths);
}
