package phd4j.fuzz;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Random and adversarial text for the tokenizers: code points from every awkward class (controls,
 * unpaired surrogates, combining marks, emoji, CJK, non-characters, the SentencePiece space),
 * vocabulary pieces and special-token texts glued together, long runs of one character or
 * pattern, and splices of the seed texts.
 */
final class TextGenerator {
    private static final int[][] RANGES = {
            {0x20, 0x7E}, {0x20, 0x7E}, {0x20, 0x7E}, {0x00, 0x1F}, {0x80, 0xFF}, {0x300, 0x36F}, {0x370, 0x3FF}, {0x400, 0x4FF},
            {0x590, 0x6FF}, {0x900, 0x97F}, {0xE00, 0xE7F}, {0x3040, 0x30FF}, {0x4E00, 0x9FFF}, {0xAC00, 0xD7A3}, {0xD800, 0xDFFF},
            {0xE000, 0xF8FF}, {0xFE00, 0xFE0F}, {0xFFF0, 0xFFFF}, {0x1F300, 0x1FAFF}, {0x10000, 0x10FFFF}, {0x2000, 0x206F}};
    private static final String[] FRAGMENTS = {" ", "  ", "\n", "\n\n", "\t", "\r\n", "\u00a0", "\u3000", "\u2581", "'s", "'S", "'ll", "'Re",
            "123", "1234567", "...", "!!!", "<0x41>", "<s>", "</s>", "<unk>", "<|endoftext|>", "<|im_start|>", "<|eot_id|>", "[INST]",
            "\u200d", "\ufeff", "a\u0301", "\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67", "\uD800", "\uDC00x"};

    private final List<String> seeds;
    private final List<String> vocabTexts;

    TextGenerator(List<String> seeds, List<String> vocabTexts) {
        this.seeds = seeds;
        this.vocabTexts = vocabTexts;
    }

    String next(SplittableRandom rnd) {
        return switch (rnd.nextInt(10)) {
            case 0, 1, 2 -> codePoints(rnd, rnd.nextInt(rnd.nextInt(8) == 0 ? 2000 : 48));
            case 3, 4 -> pieces(rnd, 1 + rnd.nextInt(24));
            case 5 -> run(rnd);
            case 6, 7 -> splice(rnd);
            default -> mixed(rnd);
        };
    }

    private static String codePoints(SplittableRandom rnd, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int[] r = RANGES[rnd.nextInt(RANGES.length)];
            int cp = rnd.nextInt(r[0], r[1] + 1);
            if (cp >= 0xD800 && cp <= 0xDFFF) b.append((char) cp); // an unpaired surrogate, on purpose
            else b.appendCodePoint(cp);
        }
        return b.toString();
    }

    private String pieces(SplittableRandom rnd, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(rnd.nextBoolean() && !vocabTexts.isEmpty() ? vocabTexts.get(rnd.nextInt(vocabTexts.size())) : FRAGMENTS[rnd.nextInt(FRAGMENTS.length)]);
        }
        return b.toString();
    }

    private static String run(SplittableRandom rnd) {
        String unit = rnd.nextBoolean() ? FRAGMENTS[rnd.nextInt(FRAGMENTS.length)] : codePoints(rnd, 1 + rnd.nextInt(3));
        int n = rnd.nextInt(16) == 0 ? 20_000 : 1 + rnd.nextInt(600);
        return unit.repeat(Math.max(1, n / Math.max(1, unit.length())));
    }

    private String splice(SplittableRandom rnd) {
        String s = seeds.get(rnd.nextInt(seeds.size()));
        if (s.isEmpty()) return s;
        int a = rnd.nextInt(s.length()), len = Math.min(s.length() - a, rnd.nextInt(400));
        StringBuilder b = new StringBuilder(s.substring(a, a + len));
        for (int i = rnd.nextInt(4); i > 0 && b.length() > 0; i--) {
            int at = rnd.nextInt(b.length());
            b.insert(at, rnd.nextBoolean() ? FRAGMENTS[rnd.nextInt(FRAGMENTS.length)] : codePoints(rnd, 1));
        }
        return b.toString();
    }

    private String mixed(SplittableRandom rnd) {
        StringBuilder b = new StringBuilder();
        for (int i = 1 + rnd.nextInt(6); i > 0; i--) {
            b.append(switch (rnd.nextInt(3)) {
                case 0 -> codePoints(rnd, rnd.nextInt(12));
                case 1 -> pieces(rnd, 1 + rnd.nextInt(4));
                default -> splice(rnd);
            });
        }
        return b.toString();
    }
}
