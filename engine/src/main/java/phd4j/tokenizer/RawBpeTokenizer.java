package phd4j.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * llama.cpp's SPM-style BPE ({@code tokenizer.ggml.model = "gemma4"}): special tokens cut out
 * first, spaces written as '▁', each text cut into runs of newlines and runs of other characters
 * ({@code [^\n]+|[\n]+}), and {@link BpeMerge} applied to the raw code points of each run (no
 * byte-level alphabet). A run of newlines that is itself a token is taken whole. A symbol with no
 * token falls back to the byte tokens {@code <0xXX>} of its UTF-8 bytes, dropping bytes without one.
 * llama.cpp always adds BOS for gemma4, whatever {@code add_bos_token} says.
 */
final class RawBpeTokenizer extends BaseTokenizer {
    private static final SplitRule NEWLINE_RUNS = RunSplit.runs(cp -> cp == '\n');

    private final Map<String, Integer> ranks;
    /** The id of the byte token of each byte value, or -1. */
    private final int[] byteTokens = new int[256];

    RawBpeTokenizer(VocabSpec spec) {
        super(new Vocab(spec, new Vocab.Defaults(-1, -1, -1, false, true, false)));
        ranks = BpeMerge.ranks(spec.merges, spec.model);
        for (int b = 0; b < 256; b++) byteTokens[b] = vocab.id(String.format("<0x%02X>", b));
    }

    /** Always: llama.cpp overrides a false add_bos_token for gemma4 (its PR 21500). */
    @Override
    public boolean addBos() {
        return true;
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        List<SpecialTokenSplitter.Fragment> fragments = SpecialTokenSplitter.split(vocab, text, parseSpecial);
        IntList out = new IntList();
        if (addSpecial && addBos()) out.add(requireSpecial(SpecialRole.BOS));
        for (SpecialTokenSplitter.Fragment f : fragments) {
            if (f.isToken()) out.add(f.token());
            else encodeText(text.substring(f.start(), f.end()).replace(" ", SentencePieceTokenizer.SPACE), out);
        }
        if (addSpecial && vocab.addEos) out.add(requireSpecial(SpecialRole.EOS));
        return out.toArray();
    }

    private void encodeText(String text, IntList out) {
        int[] cps = text.codePoints().toArray();
        IntList lengths = new IntList();
        NEWLINE_RUNS.split(cps, 0, cps.length, lengths);
        int start = 0;
        for (int w = 0; w < lengths.size(); w++) {
            int end = start + lengths.get(w);
            String word = new String(cps, start, end - start);
            int whole = cps[start] == '\n' ? vocab.id(word) : -1;
            start = end;
            if (whole >= 0) {
                out.add(whole);
                continue;
            }
            BpeMerge.merge(word, ranks, (s, e) -> emitSymbol(word.substring(s, e), out));
        }
    }

    private void emitSymbol(String symbol, IntList out) {
        int id = vocab.id(symbol);
        if (id >= 0) {
            out.add(id);
            return;
        }
        for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
            int single = byteTokens[b & 0xFF];
            if (single >= 0) out.add(single);
        }
    }

    @Override
    byte[] renderPiece(int token) {
        return spacedPiece(token);
    }
}
