package io.tokentap.loadgen.analysis;

/**
 * The conditions that mark a sweep level as past the breaking point. When several fire at the same level the
 * report names them all, in this order.
 */
public enum Criterion {
    /** The error rate exceeds its limit (1% by default). */
    ERROR_RATE("error rate"),
    /** p95 TTFT exceeds the SLA (500 ms by default). */
    TTFT_SLA("p95 TTFT over SLA"),
    /** p99/p50 of TTFT exceeds its limit (10 by default): the tail has come loose from the median. */
    TAIL_RATIO("p99/p50 TTFT ratio"),
    /** KV-cache usage reached its limit (95% by default) while the server's queue grew. */
    KV_CACHE_SATURATED("KV cache saturated"),
    /** Output-token throughput gained less than the minimum (10% by default) per doubling of load. */
    THROUGHPUT_PLATEAU("throughput plateau");

    private final String label;

    Criterion(String label) {
        this.label = label;
    }

    /** A short human label, e.g. {@code "throughput plateau"}. */
    public String label() {
        return label;
    }
}
