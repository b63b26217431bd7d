package io.tokentap.proxy.protect.breaker;

/**
 * What counts as a failure of the upstream for its circuit breaker. Upstream 429s and other 4xx are answers of a
 * working server and do not count; 5xx (503 and 529 included), failed connects, resets and timeouts do.
 */
public enum UpstreamFailure {
    STATUS_5XX("status_5xx"),
    CONNECT("connect"),
    RESET("reset"),
    TIMEOUT("timeout");

    private final String label;
    /** Handed to Resilience4j, which wants a Throwable; preallocated and stackless, so recording costs nothing. */
    private final RuntimeException cause;

    UpstreamFailure(String label) {
        this.label = label;
        this.cause = new RuntimeException("upstream " + label, null, false, false) {
            private static final long serialVersionUID = 1L;
        };
    }

    public String label() {
        return label;
    }

    RuntimeException cause() {
        return cause;
    }

    /** Whether a finished upstream response with this status is a failure. */
    public static boolean isFailureStatus(int status) {
        return status >= 500;
    }
}
