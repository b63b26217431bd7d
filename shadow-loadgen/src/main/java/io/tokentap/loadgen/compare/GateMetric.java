package io.tokentap.loadgen.compare;

import java.util.Locale;

/** The latency figure whose change the regression gate holds against the threshold, e.g. {@code ttft_p95}. */
public enum GateMetric {
    TTFT_P50(Family.TTFT, 50),
    TTFT_P95(Family.TTFT, 95),
    TTFT_P99(Family.TTFT, 99),
    ITL_P50(Family.ITL, 50),
    ITL_P95(Family.ITL, 95),
    ITL_P99(Family.ITL, 99);

    /** Which distribution a metric is read from. */
    public enum Family {
        TTFT,
        ITL
    }

    private final Family family;
    private final double percentile;

    GateMetric(Family family, double percentile) {
        this.family = family;
        this.percentile = percentile;
    }

    public Family family() {
        return family;
    }

    public double percentile() {
        return percentile;
    }

    /** The command-line spelling, e.g. {@code ttft_p95}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code ttft_p95} (any case). */
    public static GateMetric parse(String text) {
        for (GateMetric m : values()) {
            if (m.id().equalsIgnoreCase(text.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException("metric: " + text + " (expected one of: ttft_p50, ttft_p95, ttft_p99,"
                + " itl_p50, itl_p95, itl_p99)");
    }
}
