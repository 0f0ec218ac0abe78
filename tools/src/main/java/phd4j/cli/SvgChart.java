package phd4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A line chart written as a standalone SVG file: several named series of (x, y) points, linear
 * axes with round tick values, a legend. Enough for benchmark sweeps and loss curves without a
 * plotting dependency.
 */
final class SvgChart {
    /** color: index into the palette; dashed: a dashed line (e.g. validation beside a solid train curve). */
    record Series(String name, double[] x, double[] y, int color, boolean dashed) {}

    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"};
    private static final int PLOT_W = 410, HEIGHT = 440, LEFT = 70, TOP = 40, BOTTOM = 55;

    private final String title, xLabel, yLabel;
    private final List<Series> series = new ArrayList<>();
    private double fixedLo = Double.NaN, fixedHi = Double.NaN;

    SvgChart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    SvgChart add(String name, double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("series " + name + ": " + x.length + " x values, " + y.length + " y values");
        return add(name, x, y, series.size(), false);
    }

    /** A series with a chosen palette colour and line style. */
    SvgChart add(String name, double[] x, double[] y, int color, boolean dashed) {
        if (x.length != y.length) throw new IllegalArgumentException("series " + name + ": " + x.length + " x values, " + y.length + " y values");
        series.add(new Series(name, x.clone(), y.clone(), color, dashed));
        return this;
    }

    /** Fixes the y axis to [lo, hi] (rounded out to ticks); lines outside are clipped. By default it spans 0 and all values. */
    SvgChart yRange(double lo, double hi) {
        fixedLo = lo;
        fixedHi = hi;
        return this;
    }

    void write(Path file) throws IOException {
        Files.writeString(file, render(), StandardCharsets.UTF_8);
    }

    String render() {
        double x0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY, y0 = 0;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                x0 = Math.min(x0, s.x()[i]);
                x1 = Math.max(x1, s.x()[i]);
                y0 = Math.min(y0, s.y()[i]);
                y1 = Math.max(y1, s.y()[i]);
            }
        }
        if (!Double.isNaN(fixedLo)) {
            y0 = fixedLo;
            y1 = fixedHi;
        }
        if (!(x1 > x0)) x1 = x0 + 1;
        double yStep = niceStep((y1 - y0) / 5), xStep = niceStep((x1 - x0) / 8);
        if (allIntegers(series)) xStep = Math.max(1, Math.rint(xStep)); // K, steps: no fractional ticks
        y1 = Math.ceil(y1 / yStep) * yStep;
        y0 = Math.floor(y0 / yStep) * yStep;
        if (!(y1 > y0)) y1 = y0 + yStep;
        // The legend column widens with the longest name (about 7 px per character at 12 px), and
        // the whole picture with it, so no name or title is cut off.
        int longest = 0;
        for (Series s : series) longest = Math.max(longest, s.name().length());
        int right = Math.max(240, 50 + 7 * longest);
        int plotW = PLOT_W, plotH = HEIGHT - TOP - BOTTOM;
        int width = Math.max(LEFT + plotW + right, 20 + 8 * title.length());
        Axis xs = new Axis(x0, x1, LEFT, LEFT + plotW), ys = new Axis(y0, y1, TOP + plotH, TOP);

        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n", width, HEIGHT));
        b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, HEIGHT));
        b.append(String.format(Locale.ROOT, "<clipPath id=\"plot\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/></clipPath>%n", LEFT, TOP, plotW, plotH));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">%s</text>%n", 10, esc(title)));
        for (double v = y0; v <= y1 + yStep / 2; v += yStep) {
            double y = ys.map(v);
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", LEFT, y, LEFT + plotW, y));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 6, y + 4, label(v)));
        }
        for (double v = Math.ceil(x0 / xStep) * xStep; v <= x1 + xStep * 1e-6; v += xStep) { // ticks inside the plot only
            double x = xs.map(v);
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>%n", x, TOP, x, TOP + plotH));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x, TOP + plotH + 18, label(v)));
        }
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>%n", LEFT, TOP, plotW, plotH));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", LEFT + plotW / 2, HEIGHT - 12, esc(xLabel)));
        b.append(String.format(Locale.ROOT, "<text transform=\"translate(16,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>%n", TOP + plotH / 2, esc(yLabel)));
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            String color = COLORS[s.color() % COLORS.length];
            String dash = s.dashed() ? " stroke-dasharray=\"6,4\"" : "";
            StringBuilder pts = new StringBuilder();
            for (int j = 0; j < s.x().length; j++) pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", xs.map(s.x()[j]), ys.map(s.y()[j])));
            b.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s clip-path=\"url(#plot)\"/>%n", pts.toString().trim(), color, dash));
            if (s.x().length <= 40) {
                for (int j = 0; j < s.x().length; j++) {
                    b.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n", xs.map(s.x()[j]), ys.map(s.y()[j]), color));
                }
            }
            int ly = TOP + 10 + 20 * i;
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>%n", LEFT + plotW + 12, ly, LEFT + plotW + 32, ly, color, dash));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", LEFT + plotW + 38, ly + 4, esc(s.name())));
        }
        return b.append("</svg>\n").toString();
    }

    private static boolean allIntegers(List<Series> series) {
        for (Series s : series) for (double x : s.x()) if (x != Math.rint(x)) return false;
        return true;
    }

    private record Axis(double lo, double hi, double from, double to) {
        double map(double v) {
            return from + (v - lo) / (hi - lo) * (to - from);
        }
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(double raw) {
        if (!(raw > 0)) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 5, 10}) if (m * p >= raw) return m * p;
        return 10 * p;
    }

    private static String label(double v) {
        if (Math.abs(v - Math.rint(v)) < 1e-9) return Long.toString(Math.round(v));
        return String.format(Locale.ROOT, "%.3g", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
