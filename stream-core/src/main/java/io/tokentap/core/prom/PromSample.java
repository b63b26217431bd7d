package io.tokentap.core.prom;

import java.util.Map;
import java.util.Objects;

/**
 * One sample line of the Prometheus text format: {@code name{label="value",...} value [timestamp]}.
 *
 * @param name            the sample name as written, with any {@code _bucket}, {@code _sum}, {@code _count},
 *                        {@code _total} suffix
 * @param labels          the labels in the order written, values unescaped
 * @param value           the value; {@code +Inf}, {@code -Inf} and {@code NaN} are allowed
 * @param timestampMillis the optional timestamp, or {@link #NO_TIMESTAMP}
 */
public record PromSample(String name, Map<String, String> labels, double value, long timestampMillis) {

    public static final long NO_TIMESTAMP = Long.MIN_VALUE;

    public PromSample {
        Objects.requireNonNull(name, "name");
        labels = Map.copyOf(labels);
    }

    /** The value of a label, or {@code null} when the sample does not carry it. */
    public String label(String key) {
        return labels.get(key);
    }

    public boolean hasTimestamp() {
        return timestampMillis != NO_TIMESTAMP;
    }
}
