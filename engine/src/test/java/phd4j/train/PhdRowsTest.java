package phd4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import phd4j.phd.PhdConfig;

/** The rearranged layout's two key ranges are exactly DESIGN.md's mask (PhdConfig.visible). */
class PhdRowsTest {
    @Test
    void keyRangesEqualTheMaskRules() {
        int checked = 0;
        for (int k = 1; k <= 4; k++) {
            for (PhdConfig phd : configs(k)) {
                for (int t = 1; t <= 9; t++) {
                    PhdRows rows = new PhdRows(phd, t);
                    for (int p = 0; p < t; p++) {
                        for (int s = 1; s <= k; s++) {
                            int qr = rows.row(p, s);
                            assertEquals(p, rows.position(qr));
                            assertEquals(s, rows.copy(qr));
                            int seen = 0;
                            for (int q = 0; q < t; q++) {
                                for (int c = 1; c <= k; c++) {
                                    boolean want = phd.visible(p, s, q, c);
                                    if (want != rows.sees(qr, rows.row(q, c))) {
                                        throw new AssertionError(phd.name() + " T=" + t + " query (" + p + "," + s + ") key (" + q + "," + c + ")");
                                    }
                                    if (want) seen++;
                                    checked++;
                                }
                            }
                            int lo = rows.hiddenLo(p);
                            assertEquals(seen, p + 1 + rows.hiddenHi(p, s) - lo);
                            assertEquals(true, seen <= rows.maxKeys);
                        }
                    }
                }
            }
        }
        assertEquals(true, checked > 10_000);
    }

    static PhdConfig[] configs(int k) {
        return new PhdConfig[] {
            new PhdConfig(k, PhdConfig.Variant.PHD, 0, 0),
            new PhdConfig(k, PhdConfig.Variant.SWA, 1, 0),
            new PhdConfig(k, PhdConfig.Variant.SWA, 3, 0),
            new PhdConfig(k, PhdConfig.Variant.SWA, 7, 0),
            new PhdConfig(k, PhdConfig.Variant.CSWA, 2, 2),
            new PhdConfig(k, PhdConfig.Variant.CSWA, 4, 3),
            new PhdConfig(k, PhdConfig.Variant.CSWA, 9, 4),
        };
    }
}
