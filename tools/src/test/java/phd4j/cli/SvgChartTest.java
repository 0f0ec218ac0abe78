package phd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SvgChartTest {
    @Test
    void niceStepsAreOneTwoOrFiveTimesAPowerOfTen() {
        assertEquals(1, SvgChart.niceStep(0.7), 1e-12);
        assertEquals(2, SvgChart.niceStep(1.3), 1e-12);
        assertEquals(5, SvgChart.niceStep(4.2), 1e-12);
        assertEquals(0.05, SvgChart.niceStep(0.031), 1e-12);
        assertEquals(100, SvgChart.niceStep(77), 1e-12);
    }

    @Test
    void rendersEverySeriesWithItsLegendAndEscapesText() {
        String svg = new SvgChart("a < b", "K", "ms")
                .add("PHD", new double[] {1, 2, 4}, new double[] {3, 3.5, 4})
                .add("vanilla", new double[] {1, 4}, new double[] {3, 3})
                .render();
        assertTrue(svg.startsWith("<svg"), svg);
        assertEquals(2, svg.split("<polyline").length - 1);
        assertTrue(svg.contains(">PHD<") && svg.contains(">vanilla<"));
        assertTrue(svg.contains("a &lt; b"));
        assertTrue(svg.trim().endsWith("</svg>"));
        assertThrows(IllegalArgumentException.class, () -> new SvgChart("t", "x", "y").add("bad", new double[] {1}, new double[] {1, 2}));
    }
}
