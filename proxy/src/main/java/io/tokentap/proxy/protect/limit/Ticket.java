package io.tokentap.proxy.protect.limit;

import io.tokentap.proxy.protect.RateLimitStatus;

/**
 * An admitted request's hold on the limits: a stream slot (global and per tenant) and the tokens it was charged
 * for. The relay calls {@link #release(long)} exactly once when the request ends, whatever the outcome, from the
 * request's event loop; later calls do nothing.
 */
public final class Ticket {

    private final AdmissionController owner;
    private final String tenant;
    private final TenantState state;
    private final long estimatedTokens;
    private final RateLimitStatus status;
    private boolean released;

    Ticket(AdmissionController owner, String tenant, TenantState state, long estimatedTokens, RateLimitStatus status) {
        this.owner = owner;
        this.tenant = tenant;
        this.state = state;
        this.estimatedTokens = estimatedTokens;
        this.status = status;
    }

    /** The tenant id (hashed, safe to log). */
    public String tenant() {
        return tenant;
    }

    /** Tokens charged at admission. */
    public long estimatedTokens() {
        return estimatedTokens;
    }

    /** The tenant's limits right after admission (for {@code x-ratelimit-*} headers on the response), or null. */
    public RateLimitStatus status() {
        return status;
    }

    public boolean released() {
        return released;
    }

    /**
     * Frees the stream slots and reconciles the tokens charged with what the request really used.
     *
     * @param actualTokens prompt plus completion tokens from the server's usage, or a negative value when unknown
     *                     (the estimate then stands)
     */
    public void release(long actualTokens) {
        if (released) {
            return;
        }
        released = true;
        owner.release(state, estimatedTokens, actualTokens);
    }
}
