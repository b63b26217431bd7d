package io.tokentap.proxy.protect;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * How the sidecar protects the server behind it: tenant identity, rate limits, token estimation, load shedding,
 * retries, the circuit breaker and timeouts, and the largest request body buffered for admission and retries
 * ({@code maxRequestBodyBytes}; a larger one is answered 413), and whether a streamed OpenAI chat or completions
 * request that does not ask for usage gets {@code stream_options.include_usage} added upstream, with the added
 * usage chunk taken out of what the client sees ({@code injectUsage}, on by default). Every part is an immutable record validated in its compact
 * constructor; a wrong value fails at start-up with a message that names the field and what was expected, e.g.
 * {@code "limits.requestsPerMinute: -1 (expected: > 0)"}.
 *
 * <pre>{@code
 * ProtectionConfig config = ProtectionConfig.defaults()
 *         .withLimits(new ProtectionConfig.Limits(true, 600, 200_000, 8, 10_000, 100_000, Duration.ofMinutes(10)));
 * }</pre>
 */
public record ProtectionConfig(
        Tenants tenants, Limits limits, Tokens tokens, Shedding shedding, Retry retry, Breaker breaker,
        Timeouts timeouts, int maxRequestBodyBytes, boolean injectUsage) {

    public ProtectionConfig {
        positive("maxRequestBodyBytes", maxRequestBodyBytes);
        Objects.requireNonNull(tenants, "tenants");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(shedding, "shedding");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(breaker, "breaker");
        Objects.requireNonNull(timeouts, "timeouts");
    }

    /** Defaults: per-tenant limits off, a global cap of 10,000 streams, shedding off, retries and breaker on. */
    public static ProtectionConfig defaults() {
        return new ProtectionConfig(Tenants.defaults(), Limits.defaults(), Tokens.defaults(), Shedding.defaults(),
                Retry.defaults(), Breaker.defaults(), Timeouts.defaults(), 8 << 20, true);
    }

    public ProtectionConfig withLimits(Limits v) {
        return new ProtectionConfig(tenants, v, tokens, shedding, retry, breaker, timeouts, maxRequestBodyBytes, injectUsage);
    }

    public ProtectionConfig withShedding(Shedding v) {
        return new ProtectionConfig(tenants, limits, tokens, v, retry, breaker, timeouts, maxRequestBodyBytes, injectUsage);
    }

    public ProtectionConfig withRetry(Retry v) {
        return new ProtectionConfig(tenants, limits, tokens, shedding, v, breaker, timeouts, maxRequestBodyBytes, injectUsage);
    }

    public ProtectionConfig withBreaker(Breaker v) {
        return new ProtectionConfig(tenants, limits, tokens, shedding, retry, v, timeouts, maxRequestBodyBytes, injectUsage);
    }

    public ProtectionConfig withTimeouts(Timeouts v) {
        return new ProtectionConfig(tenants, limits, tokens, shedding, retry, breaker, v, maxRequestBodyBytes, injectUsage);
    }

    public ProtectionConfig withMaxRequestBodyBytes(int v) {
        return new ProtectionConfig(tenants, limits, tokens, shedding, retry, breaker, timeouts, v, injectUsage);
    }

    public ProtectionConfig withInjectUsage(boolean v) {
        return new ProtectionConfig(tenants, limits, tokens, shedding, retry, breaker, timeouts, maxRequestBodyBytes, v);
    }

    public ProtectionConfig withTenants(Tenants v) {
        return new ProtectionConfig(v, limits, tokens, shedding, retry, breaker, timeouts, maxRequestBodyBytes, injectUsage);
    }

    /**
     * Where the tenant comes from.
     *
     * @param header the request header naming the tenant; {@code null} means the API key, from
     *               {@code Authorization: Bearer}, {@code x-api-key} or {@code api-key}. Whatever the source, the
     *               value is hashed before it is kept anywhere.
     */
    public record Tenants(String header) {
        public Tenants {
            if (header != null) {
                header = header.strip().toLowerCase(Locale.ROOT);
                if (header.isEmpty() || !header.chars().allMatch(Tenants::isTokenChar)) {
                    throw new IllegalArgumentException(
                            "tenants.header: '" + header + "' (expected: an HTTP header name, or null for the API key)");
                }
            }
        }

        public static Tenants defaults() {
            return new Tenants(null);
        }

        private static boolean isTokenChar(int c) {
            return c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
        }
    }

    /**
     * Admission limits.
     *
     * @param perTenant                  whether the per-tenant limits apply (the global cap always does)
     * @param requestsPerMinute          per tenant
     * @param tokensPerMinute            per tenant, prompt plus completion tokens
     * @param concurrentStreamsPerTenant per tenant, requests in flight
     * @param maxStreamsInFlight         for the whole proxy
     * @param maxTenants                 how many tenants' state is kept; the least useful are evicted beyond it
     * @param tenantIdleExpiry           a tenant's state is dropped after this long unused
     */
    public record Limits(boolean perTenant, long requestsPerMinute, long tokensPerMinute,
                         int concurrentStreamsPerTenant, int maxStreamsInFlight, int maxTenants,
                         Duration tenantIdleExpiry) {
        public Limits {
            positive("limits.requestsPerMinute", requestsPerMinute);
            positive("limits.tokensPerMinute", tokensPerMinute);
            positive("limits.concurrentStreamsPerTenant", concurrentStreamsPerTenant);
            positive("limits.maxStreamsInFlight", maxStreamsInFlight);
            positive("limits.maxTenants", maxTenants);
            positive("limits.tenantIdleExpiry", tenantIdleExpiry);
        }

        public static Limits defaults() {
            return new Limits(false, 600, 1_000_000, 16, 10_000, 100_000, Duration.ofMinutes(10));
        }
    }

    /**
     * How a request's tokens are estimated before admission.
     *
     * @param encoding            the jtokkit encoding, e.g. {@code cl100k_base} or {@code o200k_base}
     * @param defaultOutputTokens the completion tokens assumed when the request sets no {@code max_tokens}
     * @param maxExactChars       how much prompt text is tokenised exactly; the rest is extrapolated at the same
     *                            characters per token, which bounds the event-loop time one request costs
     * @param perMessageTokens    tokens added per chat message for the role and separators
     */
    public record Tokens(String encoding, long defaultOutputTokens, int maxExactChars, int perMessageTokens) {
        public static final List<String> ENCODINGS =
                List.of("cl100k_base", "o200k_base", "p50k_base", "p50k_edit", "r50k_base");

        public Tokens {
            if (encoding == null || !ENCODINGS.contains(encoding)) {
                throw new IllegalArgumentException("tokens.encoding: " + encoding + " (expected: one of " + ENCODINGS + ")");
            }
            positive("tokens.defaultOutputTokens", defaultOutputTokens);
            positive("tokens.maxExactChars", maxExactChars);
            notNegative("tokens.perMessageTokens", perMessageTokens);
        }

        public static Tokens defaults() {
            return new Tokens("o200k_base", 1024, 2048, 4);
        }
    }

    /**
     * Load shedding on the upstream's own load, with hysteresis: shedding starts when a signal reaches its
     * {@code On} threshold and stops only when every signal is below its {@code Off} threshold.
     *
     * @param kvCacheOn  KV-cache usage fraction (0..1] at which shedding starts
     * @param kvCacheOff KV-cache usage fraction below which it may stop; {@code < kvCacheOn}
     * @param queueOn    requests waiting in the upstream's queue at which shedding starts
     * @param queueOff   waiting requests below which it may stop; {@code < queueOn}
     * @param retryAfter what the 503 tells the client to wait
     */
    public record Shedding(boolean enabled, double kvCacheOn, double kvCacheOff, long queueOn, long queueOff,
                           Duration retryAfter) {
        public Shedding {
            if (!(kvCacheOn > 0 && kvCacheOn <= 1)) {
                throw new IllegalArgumentException("shedding.kvCacheOn: " + kvCacheOn + " (expected: > 0 and <= 1)");
            }
            if (!(kvCacheOff >= 0 && kvCacheOff < kvCacheOn)) {
                throw new IllegalArgumentException(
                        "shedding.kvCacheOff: " + kvCacheOff + " (expected: >= 0 and < kvCacheOn " + kvCacheOn + ")");
            }
            positive("shedding.queueOn", queueOn);
            if (queueOff < 0 || queueOff >= queueOn) {
                throw new IllegalArgumentException(
                        "shedding.queueOff: " + queueOff + " (expected: >= 0 and < queueOn " + queueOn + ")");
            }
            positive("shedding.retryAfter", retryAfter);
        }

        public static Shedding defaults() {
            return new Shedding(false, 0.95, 0.85, 64, 16, Duration.ofSeconds(1));
        }
    }

    /**
     * Retries of a request the upstream refused or dropped, before any response byte reached the client.
     *
     * @param maxRetries          retries after the first attempt; 0 turns retries off
     * @param initialBackoff      the backoff cap of the first retry, before jitter
     * @param maxBackoff          the largest backoff cap; applied before jitter, so jitter survives at the cap
     * @param multiplier          growth of the cap per retry
     * @param budget              total time from the first attempt after which no retry starts
     * @param retryStatuses       upstream statuses that trigger a retry
     * @param nonRetryableRoutes  request paths (exact, or a prefix ending in {@code *}) never retried
     */
    public record Retry(int maxRetries, Duration initialBackoff, Duration maxBackoff, double multiplier,
                        Duration budget, Set<Integer> retryStatuses, List<String> nonRetryableRoutes) {
        public Retry {
            notNegative("retry.maxRetries", maxRetries);
            positive("retry.initialBackoff", initialBackoff);
            positive("retry.maxBackoff", maxBackoff);
            if (maxBackoff.compareTo(initialBackoff) < 0) {
                throw new IllegalArgumentException("retry.maxBackoff: " + maxBackoff
                        + " (expected: >= initialBackoff " + initialBackoff + ")");
            }
            if (!(multiplier >= 1 && multiplier <= 100)) {
                throw new IllegalArgumentException("retry.multiplier: " + multiplier + " (expected: >= 1 and <= 100)");
            }
            positive("retry.budget", budget);
            retryStatuses = Set.copyOf(Objects.requireNonNull(retryStatuses, "retry.retryStatuses"));
            for (int s : retryStatuses) {
                if (s < 400 || s > 599) {
                    throw new IllegalArgumentException("retry.retryStatuses: " + s + " (expected: 400..599)");
                }
            }
            nonRetryableRoutes = List.copyOf(Objects.requireNonNull(nonRetryableRoutes, "retry.nonRetryableRoutes"));
            for (String r : nonRetryableRoutes) {
                if (!r.startsWith("/")) {
                    throw new IllegalArgumentException("retry.nonRetryableRoutes: '" + r + "' (expected: a path starting with /)");
                }
            }
        }

        public static Retry defaults() {
            return new Retry(2, Duration.ofMillis(200), Duration.ofSeconds(2), 2.0, Duration.ofSeconds(5),
                    Set.of(429, 503, 529), List.of());
        }
    }

    /**
     * The circuit breaker of one upstream (count-based sliding window).
     *
     * @param failureRateThreshold percent of failed calls in the window that opens the breaker
     * @param slidingWindowSize    calls in the window
     * @param minimumCalls         calls needed before the failure rate counts
     * @param waitInOpen           how long the breaker stays open before it half-opens to probe
     * @param probesInHalfOpen     calls let through while half-open
     */
    public record Breaker(boolean enabled, float failureRateThreshold, int slidingWindowSize, int minimumCalls,
                          Duration waitInOpen, int probesInHalfOpen) {
        public Breaker {
            if (!(failureRateThreshold > 0 && failureRateThreshold <= 100)) {
                throw new IllegalArgumentException(
                        "breaker.failureRateThreshold: " + failureRateThreshold + " (expected: > 0 and <= 100)");
            }
            positive("breaker.slidingWindowSize", slidingWindowSize);
            positive("breaker.minimumCalls", minimumCalls);
            positive("breaker.waitInOpen", waitInOpen);
            positive("breaker.probesInHalfOpen", probesInHalfOpen);
        }

        public static Breaker defaults() {
            return new Breaker(true, 50, 20, 10, Duration.ofSeconds(10), 3);
        }
    }

    /**
     * The four timeouts of one request; each ends the request with its own {@link TimeoutKind}.
     *
     * @param connect   to establish the upstream connection
     * @param firstByte from sending the request to the first response byte (prefill and queueing included)
     * @param idle      between two response reads once the response has started (a stalled stream)
     * @param total     for the whole request, retries included
     */
    public record Timeouts(Duration connect, Duration firstByte, Duration idle, Duration total) {
        public Timeouts {
            positive("timeouts.connect", connect);
            positive("timeouts.firstByte", firstByte);
            positive("timeouts.idle", idle);
            positive("timeouts.total", total);
            if (connect.compareTo(total) > 0) {
                throw new IllegalArgumentException("timeouts.connect: " + connect + " (expected: <= total " + total + ")");
            }
            if (firstByte.compareTo(total) > 0) {
                throw new IllegalArgumentException(
                        "timeouts.firstByte: " + firstByte + " (expected: <= total " + total + ")");
            }
        }

        public static Timeouts defaults() {
            return new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(120), Duration.ofSeconds(60),
                    Duration.ofMinutes(10));
        }
    }

    static void positive(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + ": " + v + " (expected: > 0)");
        }
    }

    static void notNegative(String name, long v) {
        if (v < 0) {
            throw new IllegalArgumentException(name + ": " + v + " (expected: >= 0)");
        }
    }

    static void positive(String name, Duration v) {
        if (v == null || v.isNegative() || v.isZero()) {
            throw new IllegalArgumentException(name + ": " + v + " (expected: > 0)");
        }
    }
}
