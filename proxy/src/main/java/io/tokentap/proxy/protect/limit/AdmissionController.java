package io.tokentap.proxy.protect.limit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tokentap.proxy.protect.ProtectionConfig;
import io.tokentap.proxy.protect.RateLimitStatus;
import io.tokentap.proxy.protect.RejectReason;
import io.tokentap.proxy.protect.Rejection;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * Admits or rejects requests against the proxy's cap on streams in flight and each tenant's requests per minute,
 * tokens per minute and concurrent streams. Non-blocking and lock-free: called from any event loop, it costs a few
 * compare-and-sets, and tokenises the prompt only once the cheaper limits have passed.
 *
 * <p>Each limit per minute is a GCRA ({@link Gcra}): a burst of the whole minute's allowance, replenished
 * smoothly. Tenants live in a Caffeine cache bounded by {@code maxTenants} and expiring after
 * {@code tenantIdleExpiry} unused, so a flood of distinct keys cannot exhaust memory; Caffeine's W-TinyLFU
 * admission keeps frequently seen tenants over one-off keys, so such a flood does not reset the real tenants'
 * limits either. Why not one Resilience4j {@code RateLimiter} per tenant: its fixed refresh cycles allow twice the
 * limit across a cycle boundary, each instance carries a config, an event publisher and a name (hundreds of
 * bytes), and it cannot take back or add permits afterwards, which reconciling a token estimate with the real
 * usage needs. A tenant here costs three numbers.
 *
 * <pre>{@code
 * Admission a = controller.tryAdmit(tenant, () -> estimator.estimate(body).total());
 * if (!a.admitted()) { RejectionResponses.write(ctx, a.rejection(), keepAlive); return; }
 * ... when the response ends: a.ticket().release(usageTotal);
 * }</pre>
 */
public final class AdmissionController {

    private static final long MINUTE_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final long PROXY_FULL_RETRY_MILLIS = 1000;

    private final ProtectionConfig.Limits config;
    private final LongSupplier nanoTime;
    private final Cache<String, TenantState> tenants;
    private final Gcra requests;
    private final Gcra tokens;
    private final AtomicInteger inFlight = new AtomicInteger();

    /**
     * @param nanoTime    the clock, {@code System::nanoTime} in production
     * @param maintenance where Caffeine runs evictions; {@code Runnable::run} keeps them on the calling thread
     */
    public AdmissionController(ProtectionConfig.Limits config, LongSupplier nanoTime, Executor maintenance) {
        this.config = Objects.requireNonNull(config, "config");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.requests = new Gcra(config.requestsPerMinute(), MINUTE_NANOS);
        this.tokens = new Gcra(config.tokensPerMinute(), MINUTE_NANOS);
        this.tenants = Caffeine.newBuilder()
                .maximumSize(config.maxTenants())
                .expireAfterAccess(config.tenantIdleExpiry())
                .ticker(nanoTime::getAsLong)
                .executor(maintenance)
                .build();
    }

    /**
     * Admits a request of {@code tenant} or says why not.
     *
     * @param tokenEstimate the request's estimated tokens (prompt plus maximum output); called only when the
     *                      cheaper checks have passed, so a storm of rejected requests is never tokenised
     */
    public <T> Admission tryAdmit(String tenant, T request, ToLongFunction<T> tokenEstimate) {
        if (!acquireGlobal()) {
            return Admission.rejected(Rejection.proxyFull(config.maxStreamsInFlight(), PROXY_FULL_RETRY_MILLIS));
        }
        if (!config.perTenant()) {
            return Admission.admitted(new Ticket(this, tenant, null, 0, null));
        }
        long now = nanoTime.getAsLong();
        TenantState state = tenants.get(tenant, k -> new TenantState(now));
        if (!state.tryAcquireStream(config.concurrentStreamsPerTenant())) {
            inFlight.decrementAndGet();
            return Admission.rejected(concurrencyRejection(state, now));
        }
        long requestNanos = requests.nanosFor(1);
        for (;;) {
            long tat = state.requestTat();
            long next = requests.admit(tat, now, requestNanos);
            if (next == Long.MIN_VALUE) {
                return reject(state, now, RejectReason.RATE, requests.retryAfterNanos(tat, now, requestNanos), 1);
            }
            if (state.casRequestTat(tat, next)) {
                break;
            }
        }
        long estimate = Math.max(0, tokenEstimate.applyAsLong(request));
        long tokenNanos = tokens.nanosFor(estimate);
        for (;;) {
            long tat = state.tokenTat();
            long next = tokens.admit(tat, now, tokenNanos);
            if (next == Long.MIN_VALUE) {
                state.refundRequest(requestNanos);
                return reject(state, now, RejectReason.TOKENS, tokens.retryAfterNanos(tat, now, tokenNanos), estimate);
            }
            if (state.casTokenTat(tat, next)) {
                break;
            }
        }
        return Admission.admitted(new Ticket(this, tenant, state, estimate, status(state, now)));
    }

    /**
     * The rejection {@link #tryAdmit} would give now on the cheap limits (the cap on streams in flight, the tenant's
     * concurrent streams and requests per minute), or null when they pass. It takes nothing and changes nothing, so
     * a caller can answer a rejected request before reading it into HTTP objects and leave the rest (taking the
     * slots, the token limit, which needs the prompt) to {@link #tryAdmit}. A tenant not yet tracked passes.
     *
     * @param tenant asked only when there are limits per tenant
     */
    public Rejection refusal(Supplier<String> tenant) {
        if (inFlight.get() >= config.maxStreamsInFlight()) {
            return Rejection.proxyFull(config.maxStreamsInFlight(), PROXY_FULL_RETRY_MILLIS);
        }
        if (!config.perTenant()) {
            return null;
        }
        TenantState state = tenants.getIfPresent(tenant.get());
        if (state == null) {
            return null;
        }
        long now = nanoTime.getAsLong();
        if (state.streams() >= config.concurrentStreamsPerTenant()) {
            return concurrencyRejection(state, now);
        }
        long requestNanos = requests.nanosFor(1);
        long tat = state.requestTat();
        if (requests.admit(tat, now, requestNanos) == Long.MIN_VALUE) {
            return rejection(state, now, RejectReason.RATE, requests.retryAfterNanos(tat, now, requestNanos), 1);
        }
        return null;
    }

    private Rejection concurrencyRejection(TenantState state, long now) {
        return Rejection.rateLimited(RejectReason.CONCURRENCY,
                "Too many concurrent requests: limit " + config.concurrentStreamsPerTenant()
                        + " streams in flight for this API key. Please try again when one has finished.",
                PROXY_FULL_RETRY_MILLIS, status(state, now));
    }

    private boolean acquireGlobal() {
        for (;;) {
            int n = inFlight.get();
            if (n >= config.maxStreamsInFlight()) {
                return false;
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    private Admission reject(TenantState state, long now, RejectReason reason, long retryAfterNanos, long requested) {
        state.releaseStream();
        inFlight.decrementAndGet();
        return Admission.rejected(rejection(state, now, reason, retryAfterNanos, requested));
    }

    private Rejection rejection(TenantState state, long now, RejectReason reason, long retryAfterNanos,
                                long requested) {
        RateLimitStatus status = status(state, now);
        Gcra limit = reason == RejectReason.TOKENS ? tokens : requests;
        String what = reason == RejectReason.TOKENS ? "tokens per min (TPM)" : "requests per min (RPM)";
        long used = limit.limit() - (reason == RejectReason.TOKENS ? status.remainingTokens() : status.remainingRequests());
        String message;
        long retryMillis;
        if (retryAfterNanos < 0) {
            message = "Request too large for this API key on " + what + ": Limit " + limit.limit() + ", Requested "
                    + requested + ". The input or output tokens must be reduced in order to run successfully.";
            retryMillis = TimeUnit.NANOSECONDS.toMillis(limit.periodNanos());
        } else {
            retryMillis = Math.max(1, (retryAfterNanos + 999_999) / 1_000_000);
            message = "Rate limit reached for this API key on " + what + ": Limit " + limit.limit() + ", Used "
                    + used + ", Requested " + requested + ". Please try again in " + retryMillis + "ms.";
        }
        return Rejection.rateLimited(reason, message, retryMillis, status);
    }

    private RateLimitStatus status(TenantState state, long now) {
        long rt = state.requestTat();
        long tt = state.tokenTat();
        return new RateLimitStatus(requests.limit(), requests.remaining(rt, now), requests.resetNanos(rt, now),
                tokens.limit(), tokens.remaining(tt, now), tokens.resetNanos(tt, now));
    }

    void release(TenantState state, long estimated, long actual) {
        inFlight.decrementAndGet();
        if (state == null) {
            return;
        }
        state.releaseStream();
        if (actual >= 0 && actual != estimated) {
            long delta = actual - estimated;
            long nanos = delta > 0 ? tokens.nanosFor(delta) : -tokens.nanosFor(-delta);
            state.adjustTokens(nanos, nanoTime.getAsLong());
        }
    }

    /** Streams admitted and not yet released, across all tenants. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Tenants currently kept (after pending evictions have run). */
    public long trackedTenants() {
        tenants.cleanUp();
        return tenants.estimatedSize();
    }

    /** The tenant's current limits, or null if the tenant is not tracked. */
    public RateLimitStatus status(String tenant) {
        TenantState s = tenants.getIfPresent(tenant);
        return s == null ? null : status(s, nanoTime.getAsLong());
    }
}
