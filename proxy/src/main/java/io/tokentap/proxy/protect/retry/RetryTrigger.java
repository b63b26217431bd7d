package io.tokentap.proxy.protect.retry;

/** What went wrong with an upstream attempt, as far as retrying is concerned. The label is bounded. */
public enum RetryTrigger {
    /** The upstream answered with an HTTP status (429, 503, 529 by default: see {@code retry.retryStatuses}). */
    STATUS("status"),
    /** The upstream connection could not be established (refused, unreachable, connect timeout). */
    CONNECT_FAILURE("connect_failure"),
    /** The upstream connection was reset or closed before a response came. */
    RESET("reset");

    private final String label;

    RetryTrigger(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
