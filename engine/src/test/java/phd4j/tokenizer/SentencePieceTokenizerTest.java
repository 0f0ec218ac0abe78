package phd4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** llama.cpp's SPM rules on small in-memory vocabularies. */
class SentencePieceTokenizerTest {

    private static TestVocabs.Builder base() {
        return new TestVocabs.Builder().llamaBase()
                .normal("▁", -1).normal("a", -2).normal("b", -2).normal("c", -2)
                .normal("aa", -5).normal("ab", -6).normal("bc", -4).normal("▁a", -3);
    }

    private static Tokenizer noPrefix(TestVocabs.Builder b) {
        VocabSpec spec = b.spec("llama");
        spec.addSpacePrefix = false;
        return Tokenizers.of(spec);
    }

    @Test
    void equalScoresMergeTheLeftmostPairFirst() {
        TestVocabs.Builder b = base();
        assertArrayEquals(new int[] {b.id("aa"), b.id("a")}, noPrefix(b).encode("aaa", false, false));
    }

    @Test
    void higherScoreMergesFirst() {
        TestVocabs.Builder b = base();
        assertArrayEquals(new int[] {b.id("a"), b.id("bc")}, noPrefix(b).encode("abc", false, false));
    }

    @Test
    void unknownCharactersFallBackToUtf8ByteTokens() {
        TestVocabs.Builder b = base();
        assertArrayEquals(new int[] {TestVocabs.byteToken(0xD0), TestVocabs.byteToken(0xB6)}, noPrefix(b).encode("ж", false, false));
    }

    @Test
    void spacePrefixAndBosFollowTheMetadata() {
        TestVocabs.Builder b = base();
        Tokenizer t = Tokenizers.of(b.spec("llama"));
        assertTrue(t.addBos());
        assertArrayEquals(new int[] {1, b.id("▁a"), b.id("▁a")}, t.encode("a a", true, false));
        assertArrayEquals(new int[] {b.id("▁a")}, t.encode("a", false, false));
        assertArrayEquals(new int[0], t.encode("", false, false));
        assertArrayEquals(new int[] {1}, t.encode("", true, false));

        VocabSpec eos = b.spec("llama");
        eos.addBos = false;
        eos.addEos = true;
        assertArrayEquals(new int[] {b.id("▁a"), 2}, Tokenizers.of(eos).encode("a", true, false));
    }

    @Test
    void controlTokensInTheTextOnlyWhenParsingSpecials() {
        TestVocabs.Builder b = base();
        Tokenizer t = Tokenizers.of(b.spec("llama"));
        // a text after a special token gets its own space prefix
        assertArrayEquals(new int[] {b.id("▁a"), 2, b.id("▁a")}, t.encode("a</s>a", false, true));
        int[] literal = t.encode("</s>", false, false);
        assertFalse(java.util.Arrays.stream(literal).anyMatch(id -> id == 2));
        assertEquals(" </s>", t.decode(literal));
    }

    @Test
    void userDefinedTokensAreAlwaysMatchedAndRenderedAsIs() {
        TestVocabs.Builder b = base().add("<tool>", TestVocabs.USER_DEFINED, 0);
        Tokenizer t = noPrefix(b);
        assertArrayEquals(new int[] {b.id("a"), b.id("<tool>"), b.id("b")}, t.encode("a<tool>b", false, false));
        assertEquals("a<tool>b", t.decode(t.encode("a<tool>b", false, false)));
    }

    @Test
    void longerSpecialTokensAreCutOutFirst() {
        TestVocabs.Builder b = base().add("<x>", TestVocabs.USER_DEFINED, 0).add("<x><x>", TestVocabs.USER_DEFINED, 0);
        Tokenizer t = noPrefix(b);
        assertArrayEquals(new int[] {b.id("<x><x>"), b.id("<x>")}, t.encode("<x><x><x>", false, false));
    }

    @Test
    void piecesFollowTheTokenType() {
        TestVocabs.Builder b = base().add("<ctl>", TestVocabs.CONTROL, 0).add("<gone>", TestVocabs.UNUSED, 0);
        Tokenizer t = Tokenizers.of(b.spec("llama"));
        assertArrayEquals(new byte[0], t.pieceBytes(1));
        assertArrayEquals(new byte[0], t.pieceBytes(0));
        assertArrayEquals(new byte[0], t.pieceBytes(b.id("<ctl>")));
        assertArrayEquals(new byte[0], t.pieceBytes(b.id("<gone>")));
        assertArrayEquals(new byte[] {(byte) 0xAB}, t.pieceBytes(TestVocabs.byteToken(0xAB)));
        assertEquals(" a", new String(t.pieceBytes(b.id("▁a"))));
        assertEquals("▁a", t.tokenText(b.id("▁a")));
    }

    @Test
    void endOfGenerationIncludesEosAndEotLookingTokens() {
        TestVocabs.Builder b = base().normal("<|eot_id|>", 0).add("<|im_end|>", TestVocabs.CONTROL, 0);
        Tokenizer t = Tokenizers.of(b.spec("llama"));
        assertEquals(1, t.bos());
        assertEquals(2, t.eos());
        assertTrue(t.isEndOfGeneration(2));
        assertTrue(t.isEndOfGeneration(b.id("<|eot_id|>")));
        assertTrue(t.isEndOfGeneration(b.id("<|im_end|>")));
        assertFalse(t.isEndOfGeneration(1));
        // a normal token llama.cpp recognises as EOT becomes a control token: rendered empty
        assertArrayEquals(new byte[0], t.pieceBytes(b.id("<|eot_id|>")));
    }

    @Test
    void metadataIdsOverrideTheDefaults() {
        TestVocabs.Builder b = base();
        VocabSpec spec = b.spec("llama");
        spec.specialIds.put(SpecialRole.BOS, (long) b.id("▁"));
        spec.specialIds.put(SpecialRole.EOS, 100_000L); // out of range: ignored, the default stays
        Tokenizer t = Tokenizers.of(spec);
        assertEquals(b.id("▁"), t.bos());
        assertEquals(2, t.eos());
    }

    @Test
    void unknownModelTypeIsRefusedByName() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Tokenizers.of(new VocabSpec("t5", "a")));
        assertTrue(e.getMessage().contains("tokenizer.ggml.model") && e.getMessage().contains("t5"), e.getMessage());
    }
}
