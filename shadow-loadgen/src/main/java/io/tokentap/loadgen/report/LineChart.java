package io.tokentap.loadgen.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * A line chart rendered as inline SVG: several series against a shared x axis (logarithmic when the loads span a
 * factor of 8 or more, as sweep levels do), a y axis from zero, an optional horizontal limit line (an SLA) and an
 * optional vertical marker (the breaking point). Points with a {@code NaN} y are left out. All text is escaped.
 *
 * <pre>{@code
 * String svg = new LineChart("Throughput", "concurrency", "tokens/s")
 *         .series("output tokens/s", "#1f77b4", xs, ys)
 *         .marker(64, "breaking point")
 *         .toSvg();
 * }</pre>
 */
final class LineChart {

    static final int WIDTH = 560;
    static final int HEIGHT = 320;
    private static final int LEFT = 64;
    private static final int RIGHT = 16;
    private static final int TOP = 36;
    private static final int BOTTOM = 64;

    private record Series(String name, String color, double[] xs, double[] ys) {}

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private boolean[] hollow = new boolean[0];
    private boolean linearX;
    private OptionalDouble markerX = OptionalDouble.empty();
    private String markerLabel = "";
    private OptionalDouble limitY = OptionalDouble.empty();
    private String limitLabel = "";

    LineChart(String title, String xLabel, String yLabel) {
        this.title = Objects.requireNonNull(title);
        this.xLabel = Objects.requireNonNull(xLabel);
        this.yLabel = Objects.requireNonNull(yLabel);
    }

    LineChart series(String name, String color, double[] xs, double[] ys) {
        if (xs.length != ys.length) {
            throw new IllegalArgumentException("series " + name + ": " + xs.length + " x values and " + ys.length
                    + " y values (expected: as many)");
        }
        series.add(new Series(name, color, xs.clone(), ys.clone()));
        return this;
    }

    /** Always a linear x axis from 0 (time), never a logarithmic one. */
    LineChart linearX() {
        linearX = true;
        return this;
    }

    /** Points whose index is set are drawn hollow, e.g. client-bound levels that do not count. */
    LineChart hollow(boolean[] flags) {
        hollow = flags.clone();
        return this;
    }

    /** A vertical line at {@code x}, e.g. the breaking point. */
    LineChart marker(double x, String label) {
        markerX = OptionalDouble.of(x);
        markerLabel = label;
        return this;
    }

    /** A horizontal dashed line at {@code y}, e.g. the SLA. */
    LineChart limit(double y, String label) {
        limitY = OptionalDouble.of(y);
        limitLabel = label;
        return this;
    }

    /** True when at least one series has a point to draw. */
    boolean hasData() {
        for (Series s : series) {
            for (double y : s.ys) {
                if (!Double.isNaN(y)) {
                    return true;
                }
            }
        }
        return false;
    }

    String toSvg() {
        double minX = Double.POSITIVE_INFINITY;
        double maxX = Double.NEGATIVE_INFINITY;
        double maxY = 0;
        for (Series s : series) {
            for (int i = 0; i < s.xs.length; i++) {
                if (!Double.isNaN(s.ys[i])) {
                    minX = Math.min(minX, s.xs[i]);
                    maxX = Math.max(maxX, s.xs[i]);
                    maxY = Math.max(maxY, s.ys[i]);
                }
            }
        }
        StringBuilder b = new StringBuilder();
        b.append(fmt("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT,
                Html.escape(title)));
        b.append(fmt("<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", WIDTH, HEIGHT));
        b.append(fmt("<text x=\"%d\" y=\"20\" class=\"title\">%s</text>%n", LEFT, Html.escape(title)));
        if (!hasData()) {
            b.append(fmt("<text x=\"%d\" y=\"%d\" class=\"empty\">not reported by this run</text>%n",
                    LEFT + 20, TOP + 100));
            return b.append("</svg>\n").toString();
        }
        if (limitY.isPresent()) {
            maxY = Math.max(maxY, limitY.getAsDouble());
        }
        if (markerX.isPresent()) {
            minX = Math.min(minX, markerX.getAsDouble());
            maxX = Math.max(maxX, markerX.getAsDouble());
        }
        Axis x = linearX ? Axis.linear(maxX) : Axis.forX(minX, maxX);
        double yTop = niceCeiling(maxY);
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;

        // Grid and y ticks.
        for (int i = 0; i <= 4; i++) {
            double v = yTop * i / 4;
            double py = TOP + plotH - plotH * v / yTop;
            b.append(fmt("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>%n", LEFT, py,
                    LEFT + plotW, py));
            b.append(fmt("<text x=\"%d\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%s</text>%n", LEFT - 6,
                    py + 4, Html.escape(number(v))));
        }
        for (double t : x.ticks()) {
            double px = LEFT + plotW * x.position(t);
            b.append(fmt("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>%n", px, TOP, px,
                    TOP + plotH));
            b.append(fmt("<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>%n", px,
                    TOP + plotH + 16, Html.escape(number(t))));
        }
        b.append(fmt("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>%n", LEFT, TOP + plotH,
                LEFT + plotW, TOP + plotH));
        b.append(fmt("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>%n", LEFT, TOP, LEFT,
                TOP + plotH));
        b.append(fmt("<text x=\"%d\" y=\"%d\" class=\"label\" text-anchor=\"middle\">%s%s</text>%n",
                LEFT + plotW / 2, TOP + plotH + 34, Html.escape(xLabel), x.log ? " (log scale)" : ""));
        b.append(fmt("<text x=\"14\" y=\"%d\" class=\"label\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">"
                + "%s</text>%n", TOP + plotH / 2, TOP + plotH / 2, Html.escape(yLabel)));

        if (limitY.isPresent()) {
            double py = TOP + plotH - plotH * limitY.getAsDouble() / yTop;
            b.append(fmt("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"limit\"/>%n", LEFT, py,
                    LEFT + plotW, py));
            b.append(fmt("<text x=\"%d\" y=\"%.1f\" class=\"limit-label\" text-anchor=\"end\">%s</text>%n",
                    LEFT + plotW - 4, py - 4, Html.escape(limitLabel)));
        }
        for (Series s : series) {
            StringBuilder points = new StringBuilder();
            StringBuilder dots = new StringBuilder();
            for (int i = 0; i < s.xs.length; i++) {
                if (Double.isNaN(s.ys[i])) {
                    continue;
                }
                double px = LEFT + plotW * x.position(s.xs[i]);
                double py = TOP + plotH - plotH * s.ys[i] / yTop;
                points.append(fmt("%.1f,%.1f ", px, py));
                boolean open = i < hollow.length && hollow[i];
                dots.append(fmt("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\" stroke=\"%s\" stroke-width=\"1.5\">"
                        + "<title>%s: %s at %s%s</title></circle>%n", px, py, open ? "4" : "3",
                        open ? "#ffffff" : Html.escape(s.color), Html.escape(s.color), Html.escape(s.name),
                        Html.escape(number(s.ys[i])), Html.escape(number(s.xs[i])), open ? " (client-bound)" : ""));
            }
            b.append(fmt("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" points=\"%s\"/>%n",
                    Html.escape(s.color), points.toString().trim()));
            b.append(dots);
        }
        if (markerX.isPresent()) {
            double px = LEFT + plotW * x.position(markerX.getAsDouble());
            b.append(fmt("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"marker\"/>%n", px, TOP, px,
                    TOP + plotH));
            b.append(fmt("<text x=\"%.1f\" y=\"%d\" class=\"marker-label\" text-anchor=\"%s\">%s</text>%n",
                    px + (x.position(markerX.getAsDouble()) > 0.6 ? -4 : 4), TOP + 12,
                    x.position(markerX.getAsDouble()) > 0.6 ? "end" : "start", Html.escape(markerLabel)));
        }
        // Legend, below the axis label.
        int lx = LEFT;
        for (Series s : series) {
            b.append(fmt("<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" fill=\"%s\"/>%n", lx, HEIGHT - 12,
                    Html.escape(s.color)));
            b.append(fmt("<text x=\"%d\" y=\"%d\" class=\"legend\">%s</text>%n", lx + 16, HEIGHT - 7,
                    Html.escape(s.name)));
            lx += 24 + 7 * s.name.length();
        }
        return b.append("</svg>\n").toString();
    }

    /** The x axis: logarithmic (base 2) when the values span a factor of 8 or more, else linear from 0. */
    private record Axis(double min, double max, boolean log) {

        static Axis forX(double min, double max) {
            if (min > 0 && max / min >= 8) {
                return new Axis(min, max, true);
            }
            return linear(max);
        }

        static Axis linear(double max) {
            return new Axis(0, max > 0 ? niceCeiling(max) : 1, false);
        }

        double position(double v) {
            if (log) {
                double span = Math.log(max / min);
                return span == 0 ? 0.5 : Math.log(v / min) / span;
            }
            return (v - min) / (max - min);
        }

        List<Double> ticks() {
            List<Double> t = new ArrayList<>();
            if (log) {
                for (double v = Math.pow(2, Math.floor(Math.log(min) / Math.log(2))); v <= max * 1.0001; v *= 2) {
                    if (v >= min * 0.9999) {
                        t.add(v);
                    }
                }
            } else {
                for (int i = 0; i <= 4; i++) {
                    t.add(min + (max - min) * i / 4);
                }
            }
            return t;
        }
    }

    /** 1, 2 or 5 times a power of ten, at or above {@code v}. */
    static double niceCeiling(double v) {
        if (!(v > 0)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) {
            return Long.toString((long) v);
        }
        return fmt(Math.abs(v) >= 100 ? "%.0f" : Math.abs(v) >= 1 ? "%.3g" : "%.3g", v);
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
