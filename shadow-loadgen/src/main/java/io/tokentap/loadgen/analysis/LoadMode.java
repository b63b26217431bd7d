package io.tokentap.loadgen.analysis;

/** What a sweep's load numbers count. */
public enum LoadMode {
    /** Concurrent streams (closed model); levels are whole numbers. */
    CONCURRENCY("concurrency"),
    /** Requests started per second (open model). */
    RATE("requests/s");

    private final String unit;

    LoadMode(String unit) {
        this.unit = unit;
    }

    /** The axis label, e.g. {@code "concurrency"}. */
    public String unit() {
        return unit;
    }
}
