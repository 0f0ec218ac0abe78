package phd4j.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * llama.cpp's byte-level BPE tokenizer ({@code tokenizer.ggml.model = "gpt2"}): special tokens cut
 * out first, then the {@link PreTokenizer} named by {@code tokenizer.ggml.pre} cuts each text into
 * words, each word's UTF-8 bytes are spelled in the {@link ByteLevelAlphabet}, and {@link BpeMerge}
 * applies the merges in {@code tokenizer.ggml.merges} (rank = position in the list).
 */
final class ByteLevelBpeTokenizer extends BaseTokenizer {
    private final PreTokenizer pre;
    /** "left right" -> rank; the first occurrence of a pair wins. */
    private final Map<String, Integer> ranks;

    ByteLevelBpeTokenizer(VocabSpec spec) {
        this(spec, PreTokenizer.forName(spec.pre));
    }

    private ByteLevelBpeTokenizer(VocabSpec spec, PreTokenizer pre) {
        super(new Vocab(spec, new Vocab.Defaults(11, 11, -1, false, pre.addBos(), false)));
        this.pre = pre;
        ranks = BpeMerge.ranks(spec.merges, "gpt2");
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        List<SpecialTokenSplitter.Fragment> fragments = SpecialTokenSplitter.split(vocab, text, parseSpecial);
        IntList out = new IntList();
        if (addSpecial && vocab.addBos) out.add(requireSpecial(SpecialRole.BOS));
        for (SpecialTokenSplitter.Fragment f : fragments) {
            if (f.isToken()) out.add(f.token());
            else encodeText(text.substring(f.start(), f.end()), out);
        }
        if (addSpecial && vocab.addEos) out.add(requireSpecial(SpecialRole.EOS));
        return out.toArray();
    }

    private void encodeText(String text, IntList out) {
        int[] cps = text.codePoints().toArray();
        IntList lengths = pre.split(cps);
        int start = 0;
        for (int w = 0; w < lengths.size(); w++) {
            int end = start + lengths.get(w);
            String word = toAlphabet(new String(cps, start, end - start));
            start = end;
            int whole = pre.ignoreMerges() ? vocab.id(word) : -1;
            if (whole >= 0) {
                out.add(whole);
                continue;
            }
            BpeMerge.merge(word, ranks, (s, e) -> emitSymbol(word.substring(s, e), out));
        }
    }

    private static String toAlphabet(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) chars[i] = ByteLevelAlphabet.encode(bytes[i]);
        return new String(chars);
    }

    private void emitSymbol(String symbol, IntList out) {
        int id = vocab.id(symbol);
        if (id >= 0) {
            out.add(id);
            return;
        }
        // llama.cpp then looks up each UTF-8 byte of the symbol as a one-byte token, dropping misses
        for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
            int single = b >= 0 ? vocab.id(String.valueOf((char) b)) : -1;
            if (single >= 0) out.add(single);
        }
    }

    @Override
    byte[] renderPiece(int token) {
        String text = vocab.texts[token];
        if (vocab.has(token, TokenAttr.USER_DEFINED)) return text.getBytes(StandardCharsets.UTF_8);
        if (vocab.has(token, TokenAttr.NORMAL)) return fromAlphabet(text);
        if (vocab.has(token, TokenAttr.BYTE)) return new byte[] {byteTokenValue(token)};
        return new byte[0];
    }

    /** Reverses the byte-level spelling; a character outside the alphabet is shown as llama.cpp shows it. */
    private static byte[] fromAlphabet(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        text.codePoints().forEach(cp -> {
            int b = ByteLevelAlphabet.decode(cp);
            if (b >= 0) {
                out.write(b);
                return;
            }
            StringBuilder unknown = new StringBuilder("[UNK_BYTE_0x");
            for (byte u : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) unknown.append(String.format("%02x", u & 0xFF));
            out.writeBytes(unknown.append(text).append(']').toString().getBytes(StandardCharsets.UTF_8));
        });
        return out.toByteArray();
    }
}
