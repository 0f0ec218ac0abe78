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
