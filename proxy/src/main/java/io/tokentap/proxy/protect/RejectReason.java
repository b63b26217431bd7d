package io.tokentap.proxy.protect;

import io.tokentap.core.stream.Outcome;

/**
 * Why tokentap answered a request itself. The label is the bounded {@code reason} passed to
 * {@link io.tokentap.proxy.metrics.ProxyMetrics#rejected}; rejections are never counted as upstream errors.
 */
public enum RejectReason {
    /** The tenant's requests per minute. 429. */
    RATE("rate", 429),
    /** The tenant's tokens per minute. 429. */
    TOKENS("tokens", 429),
    /** The tenant's concurrent streams (429), or the proxy's cap on streams in flight (503). */
    CONCURRENCY("concurrency", 429),
    /** The upstream's KV cache or queue is full. 503. */
    SHED("shed", 503),
    /** The upstream's circuit breaker is open. 503. */
    CIRCUIT_OPEN("circuit_open", 503);

    private final String label;
    private final int defaultStatus;

    RejectReason(String label, int defaultStatus) {
        this.label = label;
        this.defaultStatus = defaultStatus;
    }

    public String label() {
        return label;
    }

    int defaultStatus() {
        return defaultStatus;
    }

    /** The outcome a request rejected with {@code status} ends with. */
    public static Outcome outcome(int status) {
        return status == 429 ? Outcome.RATE_LIMITED : Outcome.SHED;
    }
}
