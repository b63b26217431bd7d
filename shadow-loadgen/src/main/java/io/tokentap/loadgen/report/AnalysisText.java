package io.tokentap.loadgen.report;

import io.tokentap.loadgen.analysis.LevelSummary;
import io.tokentap.loadgen.analysis.LoadMode;
import io.tokentap.loadgen.analysis.SweepAnalysis;
import java.util.List;
import java.util.Locale;

/**
 * The console form of a {@link SweepAnalysis}: the curve table, the breaking point with its criterion, and the
 * recommendations (operating point, rate limits as a proxy config snippet, alert thresholds, Little's-law capacity).
 * {@code sweep}, {@code report} and {@code demo} print it.
 */
public final class AnalysisText {

    private AnalysisText() {
    }

    /** One row per level, sorted by load: load, tok/s, req/s, TTFT p50/p95/p99, ITL p50/p99, errors, tier. */
    public static String curveTable(SweepAnalysis a) {
        StringBuilder b = new StringBuilder();
        String unit = a.mode() == LoadMode.CONCURRENCY ? "concurrency" : "rate/s";
        b.append(String.format(Locale.ROOT, "%-12s %10s %8s %9s %9s %9s %8s %8s %7s %9s%n", unit, "tok/s", "req/s",
                "TTFT p50", "TTFT p95", "TTFT p99", "ITL p50", "ITL p99", "errors", "tier"));
        List<LevelSummary> levels = a.levels();
        for (int i = 0; i < levels.size(); i++) {
            LevelSummary l = levels.get(i);
            String load = fmtLoad(l.load());
            if (a.knee().breaking().map(k -> k == l).orElse(false)) {
                load += " <- knee";
            }
            b.append(String.format(Locale.ROOT, "%-12s %10.0f %8.2f %9s %9s %9s %8s %8s %6.2f%% %9s%s%n", load,
                    l.outputTokensPerSec(), l.requestsPerSec(), ms(l.ttftP50()), ms(l.ttftP95()), ms(l.ttftP99()),
                    ms(l.itlP50()), ms(l.itlP99()), 100 * l.errorRate(), a.tiers().get(i).name().toLowerCase(Locale.ROOT),
                    l.clientBound() ? " (client-bound, not counted)" : ""));
        }
        return b.toString();
    }

    /** The breaking point and what to do about it. */
    public static String recommendations(SweepAnalysis a) {
        StringBuilder b = new StringBuilder();
        b.append(a.knee().describe()).append('\n');
        String unit = a.mode() == LoadMode.CONCURRENCY ? "concurrent streams" : "requests/s";
        if (a.operatingHigh() > 0) {
            b.append(String.format(Locale.ROOT, "operating point: %s-%s %s%s%n", fmtLoad(a.operatingLow()),
                    fmtLoad(a.operatingHigh()), unit, a.operatingIsLowerBound()
                            ? " (no breaking point: the server holds at least the highest level measured)"
                            : " (70-80% of the breaking load)"));
        }
        if (a.saturationOutputTokensPerSec() > 0) {
            b.append(String.format(Locale.ROOT, "saturation throughput: %.0f output tok/s, %.2f req/s%n",
                    a.saturationOutputTokensPerSec(), a.saturationRequestsPerSec()));
        }
        a.rateLimits().ifPresent(l -> b.append("rate limits for the proxy (paste under protection: in proxy.yaml):\n")
                .append(indent(l.toYaml())));
        a.alerts().ifPresent(t -> b.append(String.format(Locale.ROOT,
                "alerts: p95 TTFT > %s, p95 ITL > %s, p99/p50 TTFT > %.1f, errors > %.2f%%, KV cache > %.0f%%"
                        + " (latency thresholds from level %s)%n",
                ms(t.ttftP95Seconds()), ms(t.itlP95Seconds()), t.tailRatio(), 100 * t.errorRate(),
                100 * t.kvCacheUsage(), fmtLoad(t.fromLoad()))));
        a.capacity().ifPresent(c -> b.append(String.format(Locale.ROOT,
                "capacity (Little's law): %.1f req/s x %.2f s = %.1f concurrent streams%s%n",
                c.targetRequestsPerSec(), c.latencySeconds(), c.requiredConcurrency(),
                c.instances() > 0 ? String.format(Locale.ROOT, ", %d instance(s) at %.0f each", c.instances(),
                        c.perInstanceConcurrency()) : "")));
        return b.toString();
    }

    private static String indent(String yaml) {
        StringBuilder b = new StringBuilder();
        for (String line : yaml.split("\n", -1)) {
            if (!line.isEmpty()) {
                b.append("  ").append(line).append('\n');
            }
        }
        return b.toString();
    }

    static String ms(double seconds) {
        if (Double.isNaN(seconds)) {
            return "-";
        }
        double ms = seconds * 1000;
        return ms >= 100 ? String.format(Locale.ROOT, "%.0f ms", ms) : String.format(Locale.ROOT, "%.1f ms", ms);
    }

    static String fmtLoad(double load) {
        return load == Math.rint(load) ? Long.toString((long) load) : String.format(Locale.ROOT, "%.3g", load);
    }
}
