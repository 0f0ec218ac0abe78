package phd4j.phd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import phd4j.phd.DenseReference.Settings;
import phd4j.phd.DenseReference.Variant;
import phd4j.testing.Json;
import phd4j.testing.SharedFiles;

/** The test-side PHD reference: its mask against DESIGN.md, its logits against independent fixtures. */
class DenseReferenceTest {

    /** Rows of '1' (may attend) and '.' (may not); spaces are ignored, they only group the K copies. */
    static void assertMask(Settings set, int positions, String... rows) {
        boolean[][] m = DenseReference.mask(set, positions);
        int k = set.k();
        assertEquals(rows.length, m.length, "rows");
        for (int i = 0; i < rows.length; i++) {
            String expect = rows[i].replace(" ", "");
            StringBuilder got = new StringBuilder();
            for (boolean b : m[i]) got.append(b ? '1' : '.');
            assertEquals(expect, got.toString(), set + " row p" + (i / k) + "." + (i % k + 1));
        }
    }

    @Test
    void maskMatchesTheDesignExampleK3T3() {
        // DESIGN.md section 1, transcribed (positions renumbered from 0: p1 -> p0).
        //                p1.1 p1.2 p1.3 p2.1 p2.2 p2.3 p3.1 p3.2 p3.3
        assertMask(Settings.phd(3), 3,
                /* p1.1 */ "1.. ... ...",
                /* p1.2 */ "11. ... ...",
                /* p1.3 */ "111 ... ...",
                /* p2.1 */ "1.. 1.. ...",
                /* p2.2 */ "1.. 11. ...",
                /* p2.3 */ "1.. 111 ...",
                /* p3.1 */ "1.. 1.. 1..",
                /* p3.2 */ "1.. 1.. 11.",
                /* p3.3 */ "1.. 1.. 111");
    }

    @Test
    void swaMaskK2W3ByHand() {
        // PHD-SWA-2-3: hidden queries also see the hidden tokens of positions p-3 .. p-1.
        assertMask(Settings.swa(2, 3), 5,
                /* p0.1 */ "1. .. .. .. ..",
                /* p0.2 */ "11 .. .. .. ..",
                /* p1.1 */ "1. 1. .. .. ..",
                /* p1.2 */ "11 11 .. .. ..",
                /* p2.1 */ "1. 1. 1. .. ..",
                /* p2.2 */ "11 11 11 .. ..",
                /* p3.1 */ "1. 1. 1. 1. ..",
                /* p3.2 */ "11 11 11 11 ..",
                /* p4.1 */ "1. 1. 1. 1. 1.",
                /* p4.2 */ "1. 11 11 11 11"); // p0.2 has left the window
    }

    @Test
    void swaMaskK3W3CountsHiddenTokensNotPositions() {
        // PHD-SWA-3-3: the 3 most recent hidden tokens before p2 are p0.3, p1.2, p1.3 (not p0.2).
        assertMask(Settings.swa(3, 3), 3,
                /* p0.1 */ "1.. ... ...",
                /* p0.2 */ "11. ... ...",
                /* p0.3 */ "111 ... ...",
                /* p1.1 */ "1.. 1.. ...",
                /* p1.2 */ "111 11. ...",
                /* p1.3 */ "111 111 ...",
                /* p2.1 */ "1.. 1.. 1..",
                /* p2.2 */ "1.1 111 11.",
                /* p2.3 */ "1.1 111 111");
    }

    @Test
    void cswaMaskK3W4C2ByHand() {
        // PHD-CSWA-3-4-2: window = hidden tokens of p-2 and p-1, cut at chunk starts 0, 2, 4.
        assertMask(Settings.cswa(3, 4, 2), 5,
                /* p0.1 */ "1.. ... ... ... ...",
                /* p0.2 */ "11. ... ... ... ...",
                /* p0.3 */ "111 ... ... ... ...",
                /* p1.1 */ "1.. 1.. ... ... ...",
                /* p1.2 */ "111 11. ... ... ...",   // p0's hidden: same chunk 0
                /* p1.3 */ "111 111 ... ... ...",
                /* p2.1 */ "1.. 1.. 1.. ... ...",
                /* p2.2 */ "1.. 1.. 11. ... ...",   // chunk 1 starts: no earlier hidden
                /* p2.3 */ "1.. 1.. 111 ... ...",
                /* p3.1 */ "1.. 1.. 1.. 1.. ...",
                /* p3.2 */ "1.. 1.. 111 11. ...",   // p1's hidden is in the window but in chunk 0
                /* p3.3 */ "1.. 1.. 111 111 ...",
                /* p4.1 */ "1.. 1.. 1.. 1.. 1..",
                /* p4.2 */ "1.. 1.. 1.. 1.. 11.",   // chunk 2 starts
                /* p4.3 */ "1.. 1.. 1.. 1.. 111");
    }

    @Test
    void originalsNeverSeeHiddenTokens() {
        for (Settings set : List.of(Settings.phd(4), Settings.swa(3, 5), Settings.cswa(4, 7, 3))) {
            boolean[][] m = DenseReference.mask(set, 9);
            for (int i = 0; i < m.length; i += set.k()) {
                for (int j = 0; j < m.length; j++) {
                    boolean vanilla = j % set.k() == 0 && j <= i;
                    assertEquals(vanilla, m[i][j], set + " original row " + i + " column " + j);
                }
            }
        }
    }

    @Test
    void reproducesTheIndependentFloat64Fixture() throws Exception {
        Path model = SharedFiles.file("models/tiny256/tiny256-F32.gguf");
        List<Map<String, Object>> cases = Json.lines(SharedFiles.file("fixtures/phd/tiny256-F32-phd.jsonl"));
        assertTrue(cases.size() >= 5, "cases in the PHD fixture");
        DenseReference ref = DenseReference.load(model);
        for (Map<String, Object> c : cases) {
            Settings set = settingsOf(c);
            int[] tokens = Json.ints(c.get("tokens"));
            double[][] got = ref.logits(set, tokens);
            List<?> expect = (List<?>) c.get("logits");
            assertEquals(expect.size(), got.length, set + " positions");
            double worst = 0;
            for (int p = 0; p < got.length; p++) {
                double d = maxAbsDiff(Json.floats(expect.get(p)), got[p]);
                worst = Math.max(worst, d);
                assertTrue(d <= 1e-3, set + " position " + p + ": max |diff| " + d);
            }
            System.out.printf("reference vs fixture %-18s max |diff| %.3g%n", set, worst);
        }
    }

    @Test
    void k1IsVanillaLlamaCpp() throws Exception {
        Path model = SharedFiles.file("models/tiny256/tiny256-F32.gguf");
        List<Map<String, Object>> cases = Json.lines(SharedFiles.file("fixtures/tiny256/tiny256-F32.jsonl"));
        assertTrue(!cases.isEmpty());
        DenseReference ref = DenseReference.load(model);
        for (Map<String, Object> c : cases) {
            int[] tokens = Json.ints(c.get("tokens"));
            List<?> expect = (List<?>) c.get("logits");
            double[][] got = ref.logits(Settings.phd(1), tokens);
            double worst = 0;
            for (int p = 0; p < got.length; p++) {
                double d = maxAbsDiff(Json.floats(expect.get(p)), got[p]);
                worst = Math.max(worst, d);
                assertTrue(d <= 1e-4, "'" + c.get("prompt") + "' position " + p + ": max |diff| " + d);
            }
            System.out.printf("reference K=1 vs llama.cpp '%s' max |diff| %.3g%n", c.get("prompt"), worst);
        }
    }

    static Settings settingsOf(Map<String, Object> c) {
        return new Settings(((Number) c.get("K")).intValue(), Variant.of((String) c.get("variant")),
                ((Number) c.get("window")).intValue(), ((Number) c.get("chunk")).intValue());
    }

    static double maxAbsDiff(float[] expect, double[] got) {
        assertEquals(expect.length, got.length, "vocabulary size");
        double m = 0;
        for (int i = 0; i < got.length; i++) m = Math.max(m, Math.abs(expect[i] - got[i]));
        return m;
    }
}
