package io.tokentap.core.stream;

/**
 * How a request ended. This is the bounded {@code outcome} label of the proxy's metrics and the error classes of
 * the load generator's results: rate limiting (429) is kept apart from overload (503/529), server errors, timeouts
 * and client cancels.
 */
public enum Outcome {
    /** A complete response. */
    OK("ok"),
    /** The client went away before the response ended. */
    CLIENT_CANCEL("client_cancel"),
    /** Rejected by tokentap's own rate limits. */
    RATE_LIMITED("rate_limited"),
    /** Rejected by tokentap's load shedding or concurrency cap. */
    SHED("shed"),
    /** The upstream answered 429. */
    UPSTREAM_429("upstream_429"),
    /** The upstream answered another 4xx. */
    UPSTREAM_4XX("upstream_4xx"),
    /** The upstream answered 5xx (503 and 529 included), or reported an error inside a 200 stream. */
    UPSTREAM_5XX("upstream_5xx"),
    /** A connect, first-byte, idle or total timeout fired. */
    TIMEOUT("timeout"),
    /** The upstream connection failed or was reset, before or during the response. */
    UPSTREAM_RESET("upstream_reset");

    private final String label;

    Outcome(String label) {
        this.label = label;
    }

    /** The Prometheus label value. */
    public String label() {
        return label;
    }

    /** The outcome of a finished upstream response with this HTTP status. */
    public static Outcome ofStatus(int status) {
        if (status == 429) {
            return UPSTREAM_429;
        }
        if (status >= 500) {
            return UPSTREAM_5XX;
        }
        if (status >= 400) {
            return UPSTREAM_4XX;
        }
        return OK;
    }
}
