package phd4j.phd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The engine's mask rule against DESIGN.md's K=3, T=3 matrix, and the settings' validation. */
class PhdConfigTest {
    /** DESIGN.md section 1, rows are queries p1.1 .. p3.3, columns keys in the same order. */
    private static final String[] DESIGN_K3_T3 = {
            "100000000",
            "110000000",
            "111000000",
            "100100000",
            "100110000",
            "100111000",
            "100100100",
            "100100110",
            "100100111",
    };

    private static String row(PhdConfig c, int p, int s, int positions) {
        StringBuilder b = new StringBuilder();
        for (int q = 0; q < positions; q++) {
            for (int t = 1; t <= c.k(); t++) b.append(c.visible(p, s, q, t) ? '1' : '0');
        }
        return b.toString();
    }

    @Test
    void plainPhdMaskIsTheDesignMatrix() {
        PhdConfig c = new PhdConfig(3, PhdConfig.Variant.PHD, 0, 0);
        for (int p = 0; p < 3; p++) {
            for (int s = 1; s <= 3; s++) assertEquals(DESIGN_K3_T3[p * 3 + s - 1], row(c, p, s, 3), "query p" + (p + 1) + "." + s);
        }
    }

    @Test
    void swaSeesTheWMostRecentHiddenTokensBeforeThePosition() {
        // K=2, W=3: the hidden token of position 4 sees the hidden tokens of positions 1, 2, 3; originals see none.
        PhdConfig c = new PhdConfig(2, PhdConfig.Variant.SWA, 3, 0);
        assertEquals("10" + "11" + "11" + "11" + "11", row(c, 4, 2, 5));
        assertEquals("10" + "10" + "10" + "10" + "10", row(c, 4, 1, 5));
        // K=3, W=4: position 3, copy 3 sees the last 4 hidden tokens (1,2) (1,3) (2,2) (2,3), and copy 2 of its own position.
        PhdConfig c3 = new PhdConfig(3, PhdConfig.Variant.SWA, 4, 0);
        assertEquals("100" + "111" + "111" + "111", row(c3, 3, 3, 4));
        assertEquals("100" + "111" + "111" + "110", row(c3, 3, 2, 4));
    }

    @Test
    void cswaAlsoNeedsTheSameChunk() {
        // K=2, W=3, C=2: position 4 starts a chunk, so its hidden token sees no earlier hidden one;
        // position 5 sees position 4's but not those of 2 and 3, which SWA would show.
        PhdConfig c = new PhdConfig(2, PhdConfig.Variant.CSWA, 3, 2);
        assertEquals("10" + "10" + "10" + "10" + "11", row(c, 4, 2, 5));
        assertEquals("10" + "10" + "10" + "10" + "11" + "11", row(c, 5, 2, 6));
        assertEquals("10" + "10" + "11" + "11" + "11" + "11", row(new PhdConfig(2, PhdConfig.Variant.SWA, 3, 0), 5, 2, 6));
        assertEquals("10" + "10" + "10" + "10" + "10", row(c, 4, 1, 5));
    }

    @Test
    void prefillPlansComputeOnlyTheCopiesAVariantNeeds() {
        PhdConfig phd = new PhdConfig(3, PhdConfig.Variant.PHD, 0, 0);
        assertArrayEquals(new int[] {9, 9, 9}, phd.hiddenCone(0, 10, 3), "PHD: the last position at every layer");
        assertArrayEquals(new int[] {9}, PhdConfig.VANILLA.hiddenCone(0, 10, 1), "vanilla: the last position has its one copy");
        // SWA, K 3, W 4: a hidden copy sees 2 earlier positions; the next position (10) reads positions 8, 9
        PhdConfig swa = new PhdConfig(3, PhdConfig.Variant.SWA, 4, 0);
        assertArrayEquals(new int[] {3, 5, 7}, swa.hiddenCone(0, 10, 3), "each layer down 2 positions more");
        assertArrayEquals(new int[] {0, 0, 1, 3, 5, 7}, swa.hiddenCone(0, 10, 6), "not before the prompt");
        assertArrayEquals(new int[] {12, 12}, swa.hiddenCone(12, 1, 2), "a decode step: its own copies");
        assertArrayEquals(new int[] {7, 8}, new PhdConfig(3, PhdConfig.Variant.SWA, 1, 0).hiddenCone(0, 10, 2),
                "W 1 reaches one copy of the position before: that position counts whole");
        // CSWA, K 3, W 4, C 4: as SWA, but not before the chunk's start
        PhdConfig cswa = new PhdConfig(3, PhdConfig.Variant.CSWA, 4, 4);
        assertArrayEquals(new int[] {8, 8, 8}, cswa.hiddenCone(0, 10, 3), "positions 8, 9: the last chunk");
        assertArrayEquals(new int[] {8, 8, 9}, cswa.hiddenCone(0, 12, 3),
                "ends on a chunk boundary: the next position starts a chunk, nothing to keep");
        assertArrayEquals(new int[] {12}, cswa.hiddenCone(12, 1, 1));
        assertArrayEquals(new int[] {16, 16, 17}, new PhdConfig(3, PhdConfig.Variant.CSWA, 4, 8).hiddenCone(0, 20, 3),
                "the top layer reaches 17, 18 from 19; 18, 19 are kept for position 20");
        assertArrayEquals(new int[] {16, 17, 18}, new PhdConfig(3, PhdConfig.Variant.CSWA, 2, 8).hiddenCone(0, 20, 3),
                "W 2: one position further back per layer");
    }

    @Test
    void aPrefillComputesCopiesOfABoundedNumberOfPositions() {
        assertEquals(0, PhdConfig.VANILLA.maxPositionsWithCopies(22));
        assertEquals(1, new PhdConfig(3, PhdConfig.Variant.PHD, 0, 0).maxPositionsWithCopies(22));
        assertEquals(22 * 8 + 1, new PhdConfig(3, PhdConfig.Variant.SWA, 16, 0).maxPositionsWithCopies(22));
        assertEquals(32, new PhdConfig(3, PhdConfig.Variant.CSWA, 16, 32).maxPositionsWithCopies(22), "the chunk");
        assertEquals(2 * 2 + 1, new PhdConfig(16, PhdConfig.Variant.CSWA, 16, 32).maxPositionsWithCopies(2), "the cone, inside a chunk");
        // the bound holds for every prompt: the cone's first layer starts no earlier
        for (PhdConfig c : new PhdConfig[] {new PhdConfig(3, PhdConfig.Variant.SWA, 4, 0), new PhdConfig(2, PhdConfig.Variant.CSWA, 3, 5)}) {
            for (int start = 0; start < 12; start += 5) {
                for (int length = 1; length < 40; length++) {
                    int copies = start + length - c.hiddenCone(start, length, 3)[0];
                    assertTrue(copies <= c.maxPositionsWithCopies(3), c + " from " + start + ", " + length + " tokens: " + copies);
                }
            }
        }
    }

    @Test
    void namesAndValidation() {
        assertEquals("vanilla", PhdConfig.VANILLA.name());
        assertEquals("PHD-3", new PhdConfig(3, PhdConfig.Variant.PHD, 0, 0).name());
        assertEquals("PHD-SWA-3-16", new PhdConfig(3, PhdConfig.Variant.SWA, 16, 0).name());
        assertEquals("PHD-CSWA-3-16-32", new PhdConfig(3, PhdConfig.Variant.CSWA, 16, 32).name());
        assertThrows(IllegalArgumentException.class, () -> new PhdConfig(0, PhdConfig.Variant.PHD, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new PhdConfig(2, PhdConfig.Variant.SWA, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new PhdConfig(2, PhdConfig.Variant.CSWA, 4, 0));
    }
}
