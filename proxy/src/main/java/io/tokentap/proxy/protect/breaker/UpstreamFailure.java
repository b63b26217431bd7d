package io.tokentap.proxy.protect.breaker;

/**
 * What counts as a failure of the upstream for its circuit breaker. Upstream 429s and other 4xx are answers of a
 * working server and do not count; nor does a 503 or 529 that carries {@code Retry-After}: that is a server shedding
 * load as designed (a full waiting queue), which retries with backoff handle, and opening the circuit on it would turn
 * a moment of overload into seconds of refusing everything. Other 5xx (a bare 503 included), failed connects, resets
 * and timeouts do count.
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

    /** Whether an upstream response with this status, with or without {@code Retry-After}, is a failure. */
    public static boolean isFailureStatus(int status, boolean retryAfter) {
        if (retryAfter && (status == 503 || status == 529)) {
            return false;
        }
        return status >= 500;
    }
}
