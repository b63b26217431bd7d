package io.tokentap.proxy.protect;

import io.tokentap.core.stream.Outcome;
import java.util.Objects;

/**
 * A request tokentap answers itself, in OpenAI's error shape: a status (429 or 503), the body
 * {@code {"error":{"message":…,"type":…,"param":null,"code":…}}}, how long the client should wait, and for rate
 * limits the tenant's {@link RateLimitStatus}. Written to the wire by
 * {@link io.tokentap.proxy.protect.reject.RejectionResponses}.
 *
 * @param code             the error code, or {@code null} (written as JSON null)
 * @param retryAfterMillis how long the client should wait, {@code >= 0}
 * @param limits           the tenant's limits for the {@code x-ratelimit-*} headers, or {@code null}
 */
public record Rejection(RejectReason reason, int status, String message, String type, String code,
                        long retryAfterMillis, RateLimitStatus limits) {

    public Rejection {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(type, "type");
        if (status != 429 && status != 503) {
            throw new IllegalArgumentException("status: " + status + " (expected: 429 or 503)");
        }
        if (retryAfterMillis < 0) {
            throw new IllegalArgumentException("retryAfterMillis: " + retryAfterMillis + " (expected: >= 0)");
        }
    }

    /** The outcome the request ends with: rate-limited for 429, shed for 503. */
    public Outcome outcome() {
        return RejectReason.outcome(status);
    }

    /** A 429 for a tenant limit ({@link RejectReason#RATE}, {@link RejectReason#TOKENS}, {@link RejectReason#CONCURRENCY}). */
    public static Rejection rateLimited(RejectReason reason, String message, long retryAfterMillis,
                                        RateLimitStatus limits) {
        String type = reason == RejectReason.TOKENS ? "tokens" : "requests";
        return new Rejection(reason, 429, message, type, "rate_limit_exceeded", retryAfterMillis, limits);
    }

    /** The 503 of shed load: the upstream is saturated. */
    public static Rejection shed(long retryAfterMillis) {
        return new Rejection(RejectReason.SHED, 503,
                "The server is currently overloaded, please try again later.", "server_error", "overloaded",
                retryAfterMillis, null);
    }

    /** The 503 of a full proxy: the cap on streams in flight is reached. */
    public static Rejection proxyFull(int maxStreams, long retryAfterMillis) {
        return new Rejection(RejectReason.CONCURRENCY, 503,
                "Too many requests in flight (limit " + maxStreams + "), please try again later.", "server_error",
                "overloaded", retryAfterMillis, null);
    }

    /** The 503 of an open circuit breaker: the upstream has been failing. */
    public static Rejection circuitOpen(long retryAfterMillis) {
        return new Rejection(RejectReason.CIRCUIT_OPEN, 503,
                "The upstream server is unavailable, please try again later.", "server_error", "upstream_unavailable",
                retryAfterMillis, null);
    }
}
