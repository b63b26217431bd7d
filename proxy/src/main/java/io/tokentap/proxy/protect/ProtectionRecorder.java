package io.tokentap.proxy.protect;

/**
 * What protection reports beyond rejections (those go to
 * {@link io.tokentap.proxy.metrics.ProxyMetrics#rejected}): retries with their backoff, retries given up, and the
 * circuit breaker's state. A narrow recorder like {@code ProxyMetrics}: a Micrometer implementation, {@link #NOOP}
 * and test fakes sit behind it. Called from event loops; must not block. All labels passed are bounded.
 */
public interface ProtectionRecorder {

    ProtectionRecorder NOOP = new ProtectionRecorder() { };

    /**
     * An attempt failed and another is scheduled.
     *
     * @param trigger      {@code status}, {@code connect_failure} or {@code reset}
     * @param backoffNanos the delay before the next attempt
     */
    default void retryScheduled(String route, String trigger, long backoffNanos) { }

    /**
     * An attempt failed on a retry trigger and is not retried.
     *
     * @param reason {@code attempts}, {@code budget}, {@code route_not_retryable}, {@code response_started}
     */
    default void retryGivenUp(String route, String reason) { }

    /** The upstream's circuit breaker moved to {@code state} ({@code closed}, {@code open}, {@code half_open}, ...). */
    default void breakerState(String upstream, String state) { }
}
