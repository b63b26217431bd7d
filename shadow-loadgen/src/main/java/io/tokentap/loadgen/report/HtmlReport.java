package io.tokentap.loadgen.report;

import io.tokentap.loadgen.analysis.AlertThresholds;
import io.tokentap.loadgen.analysis.Capacity;
import io.tokentap.loadgen.analysis.KneeCriteria;
import io.tokentap.loadgen.analysis.KneeResult;
import io.tokentap.loadgen.analysis.LevelSummary;
import io.tokentap.loadgen.analysis.LoadMode;
import io.tokentap.loadgen.analysis.RateLimits;
import io.tokentap.loadgen.analysis.SlaTier;
import io.tokentap.loadgen.analysis.SweepAnalysis;
import io.tokentap.loadgen.analysis.results.StageResult;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script, nothing fetched) with the throughput
 * S-curve, the latency hockey sticks, the server's KV-cache and queue figures, the breaking point marked on every
 * chart, a table per stage and the recommendations.
 *
 * <pre>{@code
 * String html = new HtmlReport("sweep", stages, analysis, KneeCriteria.defaults()).render();
 * }</pre>
 */
public final class HtmlReport {

    private static final String BLUE = "#1f77b4";
    private static final String ORANGE = "#ff7f0e";
    private static final String GREEN = "#2ca02c";
    private static final String PURPLE = "#9467bd";

    private final String kind;
    private final List<StageResult> stages;
    private final SweepAnalysis analysis;
    private final KneeCriteria criteria;
    private Timeline timeline;

    /**
     * @param kind what produced the result ("sweep", "run", "replay")
     * @param stages the stages as read, in the same order as {@code analysis.levels()} after sorting by load
     */
    public HtmlReport(String kind, List<StageResult> stages, SweepAnalysis analysis, KneeCriteria criteria) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.stages = stages.stream().sorted(java.util.Comparator.comparingDouble(StageResult::load)).toList();
        this.analysis = Objects.requireNonNull(analysis, "analysis");
        this.criteria = Objects.requireNonNull(criteria, "criteria");
        if (this.stages.size() != analysis.levels().size()) {
            throw new IllegalArgumentException("stages: " + stages.size() + " (expected: one per level, "
                    + analysis.levels().size() + ")");
        }
    }

    /** Adds the figures over time (from the interval log) to the report. */
    public HtmlReport timeline(Timeline t) {
        this.timeline = Objects.requireNonNull(t, "timeline");
        return this;
    }

    public String render() {
        StringBuilder b = new StringBuilder(64 * 1024);
        String title = "tokentap report: " + kind + " (" + analysis.mode().unit() + ")";
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(Html.escape(title)).append("</title>\n")
                .append("<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        b.append("<h1>").append(Html.escape(title)).append("</h1>\n");
        summary(b);
        charts(b);
        overTime(b);
        table(b);
        recommendations(b);
        b.append("</body>\n</html>\n");
        return b.toString();
    }

    private void summary(StringBuilder b) {
        KneeResult knee = analysis.knee();
        b.append("<section class=\"summary ").append(knee.found() ? "found" : "none").append("\">\n");
        String headline = knee.found()
                ? "Breaking point at " + LineChart.number(knee.breaking().get().load()) + " " + analysis.mode().unit()
                        + ": " + knee.criterion().orElseThrow().label()
                : capitalise(knee.describe());
        b.append("<p class=\"headline\">").append(Html.escape(headline)).append("</p>\n");
        if (knee.found()) {
            b.append("<ul>\n");
            for (String r : knee.reasons()) {
                b.append("<li>").append(Html.escape(r)).append("</li>\n");
            }
            b.append("</ul>\n");
            knee.lastGood().ifPresent(g -> b.append("<p>Last good level: ")
                    .append(Html.escape(LineChart.number(g.load()))).append(' ')
                    .append(Html.escape(analysis.mode().unit())).append(".</p>\n"));
        }
        long clientBound = analysis.levels().stream().filter(LevelSummary::clientBound).count();
        if (clientBound > 0) {
            b.append("<p class=\"warn\">").append(clientBound).append(" level(s) were client-bound (hollow points on"
                    + " the charts): the load generator, not the server, was the limit there; they never count as the"
                    + " breaking point.</p>\n");
        }
        b.append(fmt("<p class=\"criteria\">Criteria: throughput gain &lt; %.0f%% per doubling of load; p95 TTFT &gt; %s;"
                + " p99/p50 TTFT &gt; %s; error rate &gt; %s%%; KV-cache usage &ge; %.0f%% while the queue grows."
                + " Enabled: %s.</p>%n", 100 * criteria.minThroughputGainPerDoubling(),
                Html.escape(ms(criteria.slaTtftP95Seconds())), Html.escape(LineChart.number(criteria.maxTailRatio())),
                Html.escape(LineChart.number(100 * criteria.maxErrorRate())), 100 * criteria.kvCacheLimit(),
                Html.escape(criteria.enabled().stream().map(c -> c.label()).sorted().toList().toString())));
        b.append("</section>\n");
    }

    private void charts(StringBuilder b) {
        List<LevelSummary> levels = analysis.levels();
        double[] xs = levels.stream().mapToDouble(LevelSummary::load).toArray();
        String xLabel = analysis.mode().unit();
        b.append("<section class=\"charts\">\n");
        chart(b, new LineChart("Throughput S-curve: output tokens/s", xLabel, "output tokens/s")
                .series("output tokens/s", BLUE, xs, values(levels, LevelSummary::outputTokensPerSec)));
        chart(b, new LineChart("Throughput S-curve: requests/s", xLabel, "requests/s")
                .series("requests/s", GREEN, xs, values(levels, LevelSummary::requestsPerSec)));
        chart(b, new LineChart("TTFT hockey stick", xLabel, "TTFT (ms)")
                .series("p50", BLUE, xs, millis(levels, LevelSummary::ttftP50))
                .series("p95", ORANGE, xs, millis(levels, LevelSummary::ttftP95))
                .series("p99", PURPLE, xs, millis(levels, LevelSummary::ttftP99))
                .limit(1000 * criteria.slaTtftP95Seconds(), "SLA p95 " + ms(criteria.slaTtftP95Seconds())));
        chart(b, new LineChart("ITL hockey stick", xLabel, "ITL (ms)")
                .series("p50", BLUE, xs, millis(levels, LevelSummary::itlP50))
                .series("p95", ORANGE, xs, millis(levels, LevelSummary::itlP95))
                .series("p99", PURPLE, xs, millis(levels, LevelSummary::itlP99)));
        chart(b, new LineChart("KV-cache usage", xLabel, "KV-cache usage (%)")
                .series("KV-cache usage %", BLUE, xs, values(levels, l -> 100 * l.kvCacheUsage()))
                .limit(100 * criteria.kvCacheLimit(), "limit " + LineChart.number(100 * criteria.kvCacheLimit()) + "%"));
        chart(b, new LineChart("Server queue depth", xLabel, "waiting requests")
                .series("queue depth", ORANGE, xs, values(levels, LevelSummary::queueDepth)));
        b.append("</section>\n");
    }

    private void overTime(StringBuilder b) {
        if (timeline == null || timeline.size() == 0) {
            return;
        }
        b.append("<h2>Over time</h2>\n<section class=\"charts\">\n");
        b.append("<figure>").append(new LineChart("TTFT over time", "seconds since start", "TTFT (ms)")
                .linearX()
                .series("p50", BLUE, timeline.seconds(), timeline.ttftP50Millis())
                .series("p95", ORANGE, timeline.seconds(), timeline.ttftP95Millis())
                .series("p99", PURPLE, timeline.seconds(), timeline.ttftP99Millis())
                .toSvg()).append("</figure>\n");
        b.append("<figure>").append(new LineChart("Completed requests over time", "seconds since start",
                "requests/s")
                .linearX()
                .series("requests/s", GREEN, timeline.seconds(), timeline.requestsPerSec())
                .toSvg()).append("</figure>\n");
        b.append("</section>\n");
    }

    private void chart(StringBuilder b, LineChart chart) {
        List<LevelSummary> levels = analysis.levels();
        boolean[] clientBound = new boolean[levels.size()];
        for (int i = 0; i < clientBound.length; i++) {
            clientBound[i] = levels.get(i).clientBound();
        }
        chart.hollow(clientBound);
        analysis.knee().breaking().ifPresent(l -> chart.marker(l.load(),
                "breaking point: " + analysis.knee().criterion().orElseThrow().label()));
        b.append("<figure>").append(chart.toSvg()).append("</figure>\n");
    }

    private void table(StringBuilder b) {
        b.append("<section>\n<h2>Stages</h2>\n<table>\n<thead><tr>");
        for (String h : List.of("stage", analysis.mode().unit(), "requests", "errors", "requests/s", "output tokens/s",
                "TTFT p50", "TTFT p95", "TTFT p99", "p99/p50", "ITL p50", "ITL p99", "KV cache", "queue", "tier")) {
            b.append("<th>").append(Html.escape(h)).append("</th>");
        }
        b.append("</tr></thead>\n<tbody>\n");
        List<LevelSummary> levels = analysis.levels();
        LevelSummary breaking = analysis.knee().breaking().orElse(null);
        for (int i = 0; i < levels.size(); i++) {
            LevelSummary l = levels.get(i);
            SlaTier tier = analysis.tiers().get(i);
            String rowClass = l == breaking ? " class=\"breaking\"" : l.clientBound() ? " class=\"client-bound\"" : "";
            b.append("<tr").append(rowClass).append('>');
            cell(b, stages.get(i).name() + (l.clientBound() ? " (client-bound)" : "")
                    + (l == breaking ? " ← breaking point" : ""));
            cell(b, LineChart.number(l.load()));
            cell(b, Long.toString(l.requests()));
            cell(b, fmt("%.2f%%", 100 * l.errorRate()));
            cell(b, fmt("%.2f", l.requestsPerSec()));
            cell(b, fmt("%.1f", l.outputTokensPerSec()));
            cell(b, ms(l.ttftP50()));
            cell(b, ms(l.ttftP95()));
            cell(b, ms(l.ttftP99()));
            cell(b, Double.isNaN(l.ttftTailRatio()) ? "n/a" : fmt("%.1f", l.ttftTailRatio()));
            cell(b, ms(l.itlP50()));
            cell(b, ms(l.itlP99()));
            cell(b, Double.isNaN(l.kvCacheUsage()) ? "n/a" : fmt("%.1f%%", 100 * l.kvCacheUsage()));
            cell(b, Double.isNaN(l.queueDepth()) ? "n/a" : fmt("%.1f", l.queueDepth()));
            b.append("<td class=\"tier ").append(tier.name().toLowerCase(Locale.ROOT)).append("\">")
                    .append(tier.name().toLowerCase(Locale.ROOT)).append("</td>");
            b.append("</tr>\n");
        }
        b.append("</tbody>\n</table>\n");
        b.append("<p class=\"note\">SLA tiers: normal &lt; 500 ms p95 TTFT and &lt; 0.1% errors; degraded 500&ndash;2,000 ms"
                + " and &lt; 1%; breach beyond either.</p>\n</section>\n");
    }

    private void recommendations(StringBuilder b) {
        b.append("<section>\n<h2>Recommendations</h2>\n");
        if (analysis.rateLimits().isEmpty()) {
            b.append("<p>No level measured the server (all were client-bound or empty): no recommendation.</p>\n");
            b.append("</section>\n");
            return;
        }
        String unit = analysis.mode().unit();
        b.append("<h3>Operating point</h3>\n<p>");
        b.append(Html.escape(fmt("Run at %s–%s %s: 70–80%% of the %s.", LineChart.number(analysis.operatingLow()),
                LineChart.number(analysis.operatingHigh()), unit,
                analysis.operatingIsLowerBound()
                        ? "highest level measured (no breaking point was reached, so the server holds at least this)"
                        : "breaking " + (analysis.mode() == LoadMode.CONCURRENCY ? "concurrency" : "rate"))));
        b.append("</p>\n");

        RateLimits limits = analysis.rateLimits().get();
        b.append("<h3>Rate limits for the proxy</h3>\n");
        b.append(fmt("<p>At %.0f%% of the saturation throughput (%s requests/s, %s output tokens/s; the recommended band"
                + " is 60&ndash;70%%). Paste into the proxy configuration; the keys must match the proxy config's"
                + " <code>limits:</code> section.</p>%n", 100 * limits.fraction(),
                Html.escape(fmt("%.2f", analysis.saturationRequestsPerSec())),
                Html.escape(fmt("%.1f", analysis.saturationOutputTokensPerSec()))));
        b.append("<pre class=\"yaml\">").append(Html.escape(limits.toYaml())).append("</pre>\n");

        analysis.alerts().ifPresent(a -> alerts(b, a));
        analysis.capacity().ifPresent(c -> capacity(b, c));
        b.append("</section>\n");
    }

    private void alerts(StringBuilder b, AlertThresholds a) {
        b.append("<h3>Alert thresholds</h3>\n<table class=\"alerts\">\n<thead><tr><th>alert when</th><th>exceeds</th>"
                + "<th>why</th></tr></thead>\n<tbody>\n");
        String from = "measured at " + LineChart.number(a.fromLoad()) + " " + analysis.mode().unit()
                + ", the level below the knee";
        alertRow(b, "p95 TTFT", ms(a.ttftP95Seconds()), "the p99 TTFT " + from);
        alertRow(b, "p95 ITL", ms(a.itlP95Seconds()), "the p99 ITL " + from);
        alertRow(b, "p99/p50 TTFT", LineChart.number(a.tailRatio()), "the tail has come loose from the median");
        alertRow(b, "error rate", fmt("%.2f%%", 100 * a.errorRate()), "the breaking-point criterion");
        alertRow(b, "KV-cache usage (sustained)", fmt("%.0f%%", 100 * a.kvCacheUsage()),
                "5 points below the saturation limit");
        b.append("</tbody>\n</table>\n");
    }

    private static void alertRow(StringBuilder b, String what, String threshold, String why) {
        b.append("<tr>");
        cell(b, what);
        cell(b, threshold);
        cell(b, why);
        b.append("</tr>\n");
    }

    private void capacity(StringBuilder b, Capacity c) {
        b.append("<h3>Capacity (Little's law)</h3>\n<p>");
        b.append(Html.escape(fmt("%.2f requests/s × %.3f s mean latency = %.1f concurrent requests", c.targetRequestsPerSec(),
                c.latencySeconds(), c.requiredConcurrency())));
        if (c.instances() > 0) {
            b.append(Html.escape(fmt("; at %s per instance, %d instance(s).",
                    LineChart.number(c.perInstanceConcurrency()), c.instances())));
        } else {
            b.append('.');
        }
        b.append("</p>\n");
    }

    private static void cell(StringBuilder b, String text) {
        b.append("<td>").append(Html.escape(text)).append("</td>");
    }

    private static double[] values(List<LevelSummary> levels, ToDoubleFunction<LevelSummary> f) {
        return levels.stream().mapToDouble(f).toArray();
    }

    private static double[] millis(List<LevelSummary> levels, ToDoubleFunction<LevelSummary> f) {
        return levels.stream().mapToDouble(l -> 1000 * f.applyAsDouble(l)).toArray();
    }

    private static String ms(double seconds) {
        if (Double.isNaN(seconds)) {
            return "n/a";
        }
        return seconds >= 1 ? fmt("%.2f s", seconds) : fmt("%.1f ms", 1000 * seconds);
    }

    private static String capitalise(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** The report's style sheet, inlined into every page so the file stands alone. */
    private static final String CSS = loadCss();

    private static String loadCss() {
        try (java.io.InputStream in = HtmlReport.class.getResourceAsStream("report.css")) {
            if (in == null) {
                throw new IllegalStateException("report.css missing from the classpath");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read report.css", e);
        }
    }

}
