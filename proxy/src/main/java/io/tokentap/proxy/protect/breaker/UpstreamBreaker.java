package io.tokentap.proxy.protect.breaker;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.tokentap.proxy.protect.ProtectionConfig;
import io.tokentap.proxy.protect.Rejection;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The circuit breaker of one upstream: a Resilience4j {@link CircuitBreaker} driven only through its non-blocking
 * calls. It opens when the failure rate over the last {@code slidingWindowSize} attempts reaches the threshold,
 * fails requests fast with a 503 while open, and after {@code waitInOpen} half-opens to let a few probes through.
 * The open-to-half-open move happens on the next {@link #tryAcquire()} (no scheduler thread).
 *
 * <p>Every attempt the relay makes (retries included) is one call: {@link #tryAcquire()} before connecting, then
 * exactly one of {@link #onSuccess}, {@link #onFailure} or {@link #release()}.
 *
 * <pre>{@code
 * if (!breaker.tryAcquire()) { rejections.write(ctx, breaker.rejection(), route, model, keepAlive); return; }
 * ... response headers arrive: status >= 500 ? breaker.onFailure(d, STATUS_5XX) : breaker.onSuccess(d);
 * ... the client left before the upstream answered: breaker.release();
 * }</pre>
 */
public final class UpstreamBreaker {

    /** Told of every state change, e.g. to count it and log it. */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = (upstream, from, to) -> { };

        void stateChanged(String upstream, CircuitBreaker.State from, CircuitBreaker.State to);
    }

    private final String upstream;
    private final CircuitBreaker breaker;
    private final long retryAfterMillis;

    /**
     * @param upstream a bounded name of the upstream (e.g. {@code host:port}); it names the breaker
     * @param nanoTime the clock for the open state's wait, {@code System::nanoTime} in production
     */
    public UpstreamBreaker(String upstream, ProtectionConfig.Breaker config, LongSupplier nanoTime,
                           Listener listener) {
        this.upstream = Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(listener, "listener");
        this.retryAfterMillis = config.waitInOpen().toMillis();
        CircuitBreakerConfig cbConfig = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(config.slidingWindowSize())
                .minimumNumberOfCalls(config.minimumCalls())
                .failureRateThreshold(config.failureRateThreshold())
                .waitDurationInOpenState(config.waitInOpen())
                .permittedNumberOfCallsInHalfOpenState(config.probesInHalfOpen())
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .writableStackTraceEnabled(false)
                .clock(new NanoClock(nanoTime))
                .build();
        this.breaker = CircuitBreaker.of(upstream, cbConfig);
        breaker.getEventPublisher().onStateTransition(e -> listener.stateChanged(upstream,
                e.getStateTransition().getFromState(), e.getStateTransition().getToState()));
        if (!config.enabled()) {
            breaker.transitionToDisabledState();
        }
    }

    /** Asks to make one attempt; false while open (answer with {@link #rejection()}). Never blocks. */
    public boolean tryAcquire() {
        return breaker.tryAcquirePermission();
    }

    /** The attempt got an answer from a working server (2xx, 3xx, 4xx including 429). */
    public void onSuccess(long durationNanos) {
        breaker.onSuccess(durationNanos, TimeUnit.NANOSECONDS);
    }

    /** The attempt failed in a way that counts against the upstream. */
    public void onFailure(long durationNanos, UpstreamFailure failure) {
        breaker.onError(durationNanos, TimeUnit.NANOSECONDS, failure.cause());
    }

    /** The permitted attempt ended without telling anything about the upstream (e.g. the client left first). */
    public void release() {
        breaker.releasePermission();
    }

    public CircuitBreaker.State state() {
        return breaker.getState();
    }

    /** Whether {@code /readyz} may say ready: false while the breaker is open. */
    public boolean ready() {
        CircuitBreaker.State s = breaker.getState();
        return s != CircuitBreaker.State.OPEN && s != CircuitBreaker.State.FORCED_OPEN;
    }

    public String upstream() {
        return upstream;
    }

    /** The failure rate of the current window in percent, or -1 before enough calls. */
    public float failureRate() {
        return breaker.getMetrics().getFailureRate();
    }

    /** The 503 a request gets while the breaker is open. */
    public Rejection rejection() {
        return Rejection.circuitOpen(retryAfterMillis);
    }

    /** A {@link Clock} over a nanosecond source, so tests can move the open state's wait along. */
    private static final class NanoClock extends Clock {
        private final LongSupplier nanoTime;

        NanoClock(LongSupplier nanoTime) {
            this.nanoTime = nanoTime;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.EPOCH.plusNanos(nanoTime.getAsLong());
        }

        @Override
        public long millis() {
            return TimeUnit.NANOSECONDS.toMillis(nanoTime.getAsLong());
        }
    }
}
