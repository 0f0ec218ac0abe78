package phd4j.tokenizer;

/** UTF-8 facts the tokenizers and the stream decoder need. */
final class Utf8 {
    private Utf8() {}

    /** Bytes in the sequence a lead byte starts, as llama.cpp's unicode_len_utf8 reads it (1 for a stray byte). */
    static int sequenceLength(byte lead) {
        int b = lead & 0xFF;
        if (b < 0xC0) return 1;
        if (b < 0xE0) return 2;
        if (b < 0xF0) return 3;
        return 4;
    }

    /**
     * Decodes UTF-8, replacing each maximal invalid subpart with one U+FFFD (the Unicode
     * recommendation, also what Python and browsers do). The JDK's decoder differs on surrogate
     * encodings (ED A0..BF xx is one U+FFFD there, three here); a decoder of our own also keeps
     * {@link StreamDecoder} exactly consistent with {@link #incompleteTailLength}.
     */
    static String decode(byte[] bytes, int offset, int length) {
        StringBuilder out = new StringBuilder(length);
        int need = 0, seen = 0, cp = 0, lower = 0x80, upper = 0xBF;
        for (int i = offset; i < offset + length; i++) {
            int b = bytes[i] & 0xFF;
            if (need == 0) {
                if (b < 0x80) {
                    out.append((char) b);
                } else if (b >= 0xC2 && b <= 0xDF) {
                    need = 1;
                    cp = b & 0x1F;
                } else if (b >= 0xE0 && b <= 0xEF) {
                    if (b == 0xE0) lower = 0xA0;
                    if (b == 0xED) upper = 0x9F;
                    need = 2;
                    cp = b & 0x0F;
                } else if (b >= 0xF0 && b <= 0xF4) {
                    if (b == 0xF0) lower = 0x90;
                    if (b == 0xF4) upper = 0x8F;
                    need = 3;
                    cp = b & 0x07;
                } else {
                    out.append('\uFFFD');
                }
                continue;
            }
            if (b < lower || b > upper) {
                // the sequence so far is one invalid subpart; this byte starts afresh
                out.append('\uFFFD');
                need = seen = cp = 0;
                lower = 0x80;
                upper = 0xBF;
                i--;
                continue;
            }
            lower = 0x80;
            upper = 0xBF;
            cp = (cp << 6) | (b & 0x3F);
            if (++seen == need) {
                out.appendCodePoint(cp);
                need = seen = cp = 0;
            }
        }
        if (need != 0) out.append('\uFFFD');
        return out.toString();
    }

    /**
     * How many bytes at the end of bytes[0, length) form the valid start of a character that more
     * bytes could still complete; 0 if none. Uses the strict ranges of well-formed UTF-8 (no
     * overlongs, surrogates or code points past U+10FFFF), so anything not counted here is either
     * complete or already certain to decode as U+FFFD.
     */
    static int incompleteTailLength(byte[] bytes, int length) {
        for (int back = 1; back <= 3 && back <= length; back++) {
            int lead = bytes[length - back] & 0xFF;
            if (lead >= 0x80 && lead < 0xC0) continue; // a continuation byte: look further back
            int need = lead < 0xC2 ? 0 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : lead < 0xF5 ? 4 : 0;
            if (need <= back) return 0;
            if (back >= 2 && !validSecondByte(lead, bytes[length - back + 1] & 0xFF)) return 0;
            return back;
        }
        return 0;
    }

    private static boolean validSecondByte(int lead, int second) {
        return switch (lead) {
            case 0xE0 -> second >= 0xA0 && second <= 0xBF;
            case 0xED -> second >= 0x80 && second <= 0x9F;
            case 0xF0 -> second >= 0x90 && second <= 0xBF;
            case 0xF4 -> second >= 0x80 && second <= 0x8F;
            default -> second >= 0x80 && second <= 0xBF;
        };
    }
}
