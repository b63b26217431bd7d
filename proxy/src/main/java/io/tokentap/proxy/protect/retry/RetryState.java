package io.tokentap.proxy.protect.retry;

/**
 * The retries of one request. Owned by the request's event loop: plain fields, no synchronisation.
 */
public final class RetryState {

    private final RetryPolicy policy;
    private final boolean routeRetryable;
    private final long startNanos;
    private int retries;
    private long backoffNanos;

    RetryState(RetryPolicy policy, boolean routeRetryable, long startNanos) {
        this.policy = policy;
        this.routeRetryable = routeRetryable;
        this.startNanos = startNanos;
    }

    /**
     * Decides about an attempt that failed.
     *
     * @param nowNanos        when it failed
     * @param trigger         how it failed
     * @param status          the upstream status for {@link RetryTrigger#STATUS}, else ignored
     * @param retryAfterNanos the wait the upstream asked for, or -1
     * @param responseStarted whether any byte of the response already went to the client
     */
    public RetryDecision onFailure(long nowNanos, RetryTrigger trigger, int status, long retryAfterNanos,
                                   boolean responseStarted) {
        if (responseStarted) {
            return RetryDecision.no(RetryDecision.GiveUp.RESPONSE_STARTED);
        }
        if (trigger == RetryTrigger.STATUS && !policy.retryableStatus(status)) {
            return RetryDecision.no(RetryDecision.GiveUp.NOT_A_TRIGGER);
        }
        if (!routeRetryable) {
            return RetryDecision.no(RetryDecision.GiveUp.ROUTE_NOT_RETRYABLE);
        }
        if (retries >= policy.maxRetries()) {
            return RetryDecision.no(RetryDecision.GiveUp.ATTEMPTS);
        }
        long delay = Math.max(policy.backoffNanos(retries + 1), retryAfterNanos);
        if (nowNanos - startNanos + delay > policy.budgetNanos()) {
            return RetryDecision.no(RetryDecision.GiveUp.BUDGET);
        }
        retries++;
        backoffNanos += delay;
        return RetryDecision.after(delay);
    }

    /** Retries granted so far. */
    public int retries() {
        return retries;
    }

    /** Attempts started so far, if every granted retry was started: 1 + {@link #retries()}. */
    public int attempts() {
        return retries + 1;
    }

    /** The total backoff granted so far. */
    public long backoffNanos() {
        return backoffNanos;
    }
}
