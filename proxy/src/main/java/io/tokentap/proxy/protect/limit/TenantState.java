package io.tokentap.proxy.protect.limit;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The rate-limit state of one tenant: the two GCRA arrival times (requests, tokens) and the streams in flight.
 * Plain fields updated through {@link VarHandle}s keep a tenant at a few dozen bytes, which is what lets the map of
 * tenants hold hundreds of thousands of them. Shared by every event loop; all updates are lock-free.
 */
final class TenantState {

    private static final VarHandle REQUEST_TAT;
    private static final VarHandle TOKEN_TAT;
    private static final VarHandle STREAMS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            REQUEST_TAT = l.findVarHandle(TenantState.class, "requestTat", long.class);
            TOKEN_TAT = l.findVarHandle(TenantState.class, "tokenTat", long.class);
            STREAMS = l.findVarHandle(TenantState.class, "streams", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through REQUEST_TAT
    private volatile long requestTat;
    @SuppressWarnings("unused") // through TOKEN_TAT
    private volatile long tokenTat;
    @SuppressWarnings("unused") // through STREAMS
    private volatile int streams;

    TenantState(long now) {
        this.requestTat = now;
        this.tokenTat = now;
    }

    long requestTat() {
        return (long) REQUEST_TAT.getVolatile(this);
    }

    long tokenTat() {
        return (long) TOKEN_TAT.getVolatile(this);
    }

    int streams() {
        return (int) STREAMS.getVolatile(this);
    }

    boolean casRequestTat(long expect, long update) {
        return REQUEST_TAT.compareAndSet(this, expect, update);
    }

    boolean casTokenTat(long expect, long update) {
        return TOKEN_TAT.compareAndSet(this, expect, update);
    }

    /** Takes a stream slot if fewer than {@code max} are in use. */
    boolean tryAcquireStream(int max) {
        for (;;) {
            int s = (int) STREAMS.getVolatile(this);
            if (s >= max) {
                return false;
            }
            if (STREAMS.compareAndSet(this, s, s + 1)) {
                return true;
            }
        }
    }

    void releaseStream() {
        STREAMS.getAndAdd(this, -1);
    }

    /** Moves the request TAT back by {@code nanos} (undoing an admission). */
    void refundRequest(long nanos) {
        REQUEST_TAT.getAndAdd(this, -nanos);
    }

    /**
     * Charges ({@code nanos > 0}) or refunds ({@code nanos < 0}) token time. A refund never moves the TAT before
     * {@code now}: unused credit does not accumulate beyond a full period.
     */
    void adjustTokens(long nanos, long now) {
        for (;;) {
            long tat = tokenTat();
            long next = tat + nanos;
            if (nanos < 0 && next - now < 0) {
                next = Math.min(tat, now);
            }
            if (casTokenTat(tat, next)) {
                return;
            }
        }
    }
}
