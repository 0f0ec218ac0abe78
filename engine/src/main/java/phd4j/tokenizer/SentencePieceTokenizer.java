package phd4j.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * llama.cpp's SPM tokenizer ({@code tokenizer.ggml.model = "llama"}): spaces become '▁', a space
 * is put in front of the text and of every text that follows a special token (when
 * {@code add_space_prefix}, default true), and each text fragment is merged by {@link SpmMerge}.
 */
final class SentencePieceTokenizer extends BaseTokenizer {
    static final String SPACE = "▁";

    SentencePieceTokenizer(VocabSpec spec) {
        super(new Vocab(spec, new Vocab.Defaults(1, 2, 0, true, true, false)));
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
            SpmMerge.encode(vocab, fragment.replace(" ", SPACE), out);
            afterSpecial = false;
        }
        if (addSpecial && vocab.addEos) out.add(requireSpecial(SpecialRole.EOS));
        return out.toArray();
    }

    private int requireSpecial(SpecialRole role) {
        int id = vocab.special(role);
        if (id < 0) throw new IllegalStateException("the vocabulary asks for a " + role + " token but has none");
        return id;
    }

    @Override
    byte[] renderPiece(int token) {
        String text = vocab.texts[token];
        if (vocab.has(token, TokenAttr.USER_DEFINED)) return text.getBytes(StandardCharsets.UTF_8);
        if (vocab.has(token, TokenAttr.NORMAL)) return text.replace(SPACE, " ").getBytes(StandardCharsets.UTF_8);
        if (vocab.has(token, TokenAttr.BYTE)) return new byte[] {byteTokenValue(token)};
        return new byte[0]; // unused and undefined tokens render empty
    }
}
