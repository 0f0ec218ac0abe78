package phd4j.tokenizer;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * llama.cpp's SPM tokenizer ({@code tokenizer.ggml.model = "llama"}): spaces become '▁', a space
 * is put in front of the text and of every text that follows a special token (when
 * {@code add_space_prefix}, default true), and each text fragment is merged by {@link SpmMerge}.
 */
final class SentencePieceTokenizer extends BaseTokenizer {
    static final String SPACE = "▁";

    /** Every pair of adjacent code points found inside some token, as (first << 21 | second). */
    private final Set<Long> joinablePairs = new HashSet<>();

    SentencePieceTokenizer(VocabSpec spec) {
        super(new Vocab(spec, new Vocab.Defaults(1, 2, 0, true, true, false)));
        for (String text : vocab.texts) {
            int[] cps = text.codePoints().toArray();
            for (int i = 1; i < cps.length; i++) joinablePairs.add(pair(cps[i - 1], cps[i]));
        }
    }

    private static long pair(int first, int second) {
        return (long) first << 21 | second;
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        List<SpecialTokenSplitter.Fragment> fragments = SpecialTokenSplitter.split(vocab, text, parseSpecial);
        IntList out = new IntList();
        if (addSpecial && vocab.addBos) out.add(requireSpecial(SpecialRole.BOS));
        boolean afterSpecial = true; // the first fragment counts as following a special token
        for (SpecialTokenSplitter.Fragment f : fragments) {
            if (f.isToken()) {
                out.add(f.token());
                afterSpecial = true;
                continue;
            }
            String fragment = text.substring(f.start(), f.end());
            if (vocab.addSpacePrefix && afterSpecial) fragment = " " + fragment;
            encodeFragment(fragment.replace(" ", SPACE), out);
            afterSpecial = false;
        }
        if (addSpecial && vocab.addEos) out.add(requireSpecial(SpecialRole.EOS));
        return out.toArray();
    }

    /**
     * Runs the merge separately on the stretches between adjacent characters that no token
     * contains: no merge can cross such a point, so the result is the same as one merge over the
     * whole fragment, and a megabyte of text becomes many small priority queues instead of one.
     */
    private void encodeFragment(String text, IntList out) {
        int segmentStart = 0;
        int previous = -1;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            if (previous >= 0 && !joinablePairs.contains(pair(previous, cp))) {
                SpmMerge.encode(vocab, text.substring(segmentStart, i), out);
                segmentStart = i;
            }
            previous = cp;
            i += Character.charCount(cp);
        }
        if (segmentStart < text.length()) SpmMerge.encode(vocab, text.substring(segmentStart), out);
    }

    @Override
    byte[] renderPiece(int token) {
        return spacedPiece(token);
    }
}
