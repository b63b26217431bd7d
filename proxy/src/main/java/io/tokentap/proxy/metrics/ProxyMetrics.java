package io.tokentap.proxy.metrics;

import io.tokentap.core.timeline.RequestTimeline;

/**
 * The narrow interface through which the relay reports what it measured. Handlers call only this, never
 * Micrometer: a Micrometer implementation, {@link #NOOP} and test fakes sit behind it.
 *
 * <p>Calls come from event-loop threads and must not block. Label values passed in ({@code route},
 * {@code model}) are raw; an implementation bounds them (model allow-list, normalised route).
 */
public interface ProxyMetrics {

    ProxyMetrics NOOP = new ProxyMetrics() { };

    /** A request was admitted and is being relayed; counts towards streams in flight. */
    default void requestStarted(String route, String model) { }

    /**
     * A listener for the per-event and per-token ITL of one request. Resolving it once per request keeps label
     * lookups off the per-event path.
     */
    default RequestTimeline.IntervalListener intervals(String route, String model) {
        return RequestTimeline.IntervalListener.NONE;
    }

    /** A request that {@link #requestStarted} announced has ended; its timeline holds the outcome. */
    default void requestFinished(String route, String model, RequestTimeline timeline) { }

    /**
     * As {@link #requestFinished(String, String, RequestTimeline)}, for a request of a known tenant. The tenant id is
     * raw; an implementation that labels by tenant hashes it and caps the number of tenants.
     */
    default void requestFinished(String route, String model, String tenant, RequestTimeline timeline) {
        requestFinished(route, model, timeline);
    }

    /**
     * A request was answered by tokentap itself without reaching the upstream.
     *
     * @param reason a bounded reason: {@code rate}, {@code tokens}, {@code concurrency}, {@code shed}, {@code circuit_open}
     */
    default void rejected(String route, String model, String reason) { }
}
