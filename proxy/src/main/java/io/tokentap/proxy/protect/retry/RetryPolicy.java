package io.tokentap.proxy.protect.retry;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.tokentap.proxy.protect.ProtectionConfig;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * When and after how long the relay retries an upstream attempt. Retries happen only before any response byte
 * has reached the client, never for routes marked not retryable, on the configured statuses (429, 503, 529 by
 * default), connect failures and resets; at most {@code maxRetries} times and never past the total budget.
 *
 * <p>The delay before retry {@code n} (1-based) is full jitter over a capped exponential:
 * {@code uniform(0, min(maxBackoff, initialBackoff × multiplier^(n−1)))}. The cap is applied before the jitter,
 * so jitter survives at the cap and retries of many clients do not synchronise. An upstream's
 * {@code retry-after-ms} or {@code Retry-After} is a floor on the delay.
 *
 * <p>Delays are computed, never slept. One policy is shared by all event loops; its random source must be
 * thread-safe ({@code new Random(seed)} in tests, {@code new Random()} or a {@code SplittableRandom}-backed
 * {@code ThreadLocal} generator in production). Per-request state is a {@link RetryState}.
 *
 * <pre>{@code
 * RetryState retries = policy.start(path, nanoTime());
 * ... an attempt fails before the client saw anything:
 * RetryDecision d = retries.onFailure(nanoTime(), RetryTrigger.STATUS, 429, RetryPolicy.retryAfterNanos(h, now), false);
 * if (d.retry()) eventLoop.schedule(this::attempt, d.delayNanos(), NANOSECONDS); else relay the 429;
 * }</pre>
 */
public final class RetryPolicy {

    private final ProtectionConfig.Retry config;
    private final RandomGenerator random;
    private final long initialNanos;
    private final long maxNanos;
    private final long budgetNanos;

    public RetryPolicy(ProtectionConfig.Retry config, RandomGenerator random) {
        this.config = Objects.requireNonNull(config, "config");
        this.random = Objects.requireNonNull(random, "random");
        this.initialNanos = config.initialBackoff().toNanos();
        this.maxNanos = config.maxBackoff().toNanos();
        this.budgetNanos = config.budget().toNanos();
    }

    /** Starts the retry state of one request to {@code path}, whose first attempt starts at {@code startNanos}. */
    public RetryState start(String path, long startNanos) {
        return new RetryState(this, routeRetryable(path), startNanos);
    }

    /** Whether requests to {@code path} may be retried at all. */
    public boolean routeRetryable(String path) {
        if (config.maxRetries() == 0) {
            return false;
        }
        List<String> routes = config.nonRetryableRoutes();
        for (int i = 0; i < routes.size(); i++) {
            String r = routes.get(i);
            if (r.endsWith("*") ? path.startsWith(r.substring(0, r.length() - 1)) : path.equals(r)) {
                return false;
            }
        }
        return true;
    }

    /** Whether an upstream status is a retry trigger. */
    public boolean retryableStatus(int status) {
        return config.retryStatuses().contains(status);
    }

    /** The backoff cap before retry {@code n} (1-based), before jitter. */
    public long capNanos(int n) {
        double cap = initialNanos * Math.pow(config.multiplier(), n - 1);
        return cap >= maxNanos ? maxNanos : (long) cap;
    }

    /** The jittered backoff before retry {@code n}: uniform in [0, cap). */
    long backoffNanos(int n) {
        return (long) (random.nextDouble() * capNanos(n));
    }

    int maxRetries() {
        return config.maxRetries();
    }

    long budgetNanos() {
        return budgetNanos;
    }

    /**
     * The wait an upstream asked for: {@code retry-after-ms} (OpenAI, fractional milliseconds allowed), else
     * {@code Retry-After} in seconds or as an HTTP date; -1 when absent or unreadable.
     *
     * @param nowEpochMillis the wall clock, to turn an HTTP date into a delay
     */
    public static long retryAfterNanos(HttpHeaders headers, long nowEpochMillis) {
        String ms = headers.get("retry-after-ms");
        if (ms != null) {
            try {
                double v = Double.parseDouble(ms.trim());
                if (v >= 0 && v < 1e12) {
                    return (long) (v * 1_000_000);
                }
            } catch (NumberFormatException ignored) {
                // fall through to Retry-After
            }
        }
        String s = headers.get(HttpHeaderNames.RETRY_AFTER);
        if (s == null) {
            return -1;
        }
        s = s.trim();
        try {
            double seconds = Double.parseDouble(s);
            return seconds >= 0 && seconds < 1e9 ? (long) (seconds * 1e9) : -1;
        } catch (NumberFormatException notSeconds) {
            Date date = DateFormatter.parseHttpDate(s);
            if (date == null) {
                return -1;
            }
            return TimeUnit.MILLISECONDS.toNanos(Math.max(0, date.getTime() - nowEpochMillis));
        }
    }
}
