package io.tokentap.core.prom;

import java.util.Locale;

/** The {@code # TYPE} of a metric family, in the 0.0.4 text format and in OpenMetrics. */
public enum PromMetricType {
    COUNTER, GAUGE, HISTOGRAM, SUMMARY, UNTYPED,
    /** OpenMetrics only. */
    GAUGEHISTOGRAM,
    /** OpenMetrics only. */
    INFO,
    /** OpenMetrics only. */
    STATESET,
    /** OpenMetrics' name for untyped. */
    UNKNOWN;

    /** The type named in a {@code # TYPE} line, or {@code null} if the name is not a known type. */
    static PromMetricType parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
