package io.tokentap.proxy.metrics;

import io.tokentap.core.timeline.RequestTimeline;

/**
 * The narrow interface through which the relay reports what it measured. Handlers call only this, never
 * Micrometer: a Micrometer implementation, {@link #NOOP} and test fakes sit behind it.
 *
 * <p>Calls come from event-loop threads and must not block. Label values passed in ({@code route},
 * {@code model}, {@code node}) are raw; an implementation bounds them (model allow-list, normalised route, node
 * allow-list or cap).
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

    /**
     * As {@link #intervals(String, String)}, for a request that named its pipeline node (the raw header value, or
     * {@code null} when absent). An implementation that labels by node bounds the value; others ignore it.
     */
    default RequestTimeline.IntervalListener intervals(String route, String model, String node) {
        return intervals(route, model);
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
     * As {@link #requestFinished(String, String, String, RequestTimeline)}, with the request's pipeline node (the
     * raw header value, or {@code null}) and tenant (or {@code null} when unknown). Both are raw and bounded by the
     * implementation.
     */
    default void requestFinished(String route, String model, String node, String tenant, RequestTimeline timeline) {
        if (tenant == null) {
            requestFinished(route, model, timeline);
        } else {
            requestFinished(route, model, tenant, timeline);
        }
    }

    /**
     * A request was answered by tokentap itself without reaching the upstream.
     *
     * @param reason a bounded reason: {@code rate}, {@code tokens}, {@code concurrency}, {@code shed}, {@code circuit_open}
     */
    default void rejected(String route, String model, String reason) { }

    /**
     * The relay hit an error it did not expect (a reset, a protocol violation, a timeout) and closed the connection.
     *
     * @param side  {@code client} or {@code upstream}
     * @param cause a bounded cause: {@code connect_refused}, {@code connect_timeout}, {@code reset}, {@code timeout},
     *              {@code first_byte_timeout}, {@code idle_timeout}, {@code total_timeout}, {@code protocol},
     *              {@code io}, {@code other}
     */
    default void relayError(String side, String cause) { }
}
