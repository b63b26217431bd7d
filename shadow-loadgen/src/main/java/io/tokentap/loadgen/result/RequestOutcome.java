package io.tokentap.loadgen.result;

/**
 * How a generated request ended: the error classes of the results. Rate limiting (429) is kept apart from overload
 * (503 and 529, which Anthropic uses for "overloaded"), other server errors, timeouts and cancels by the client's
 * own behaviour (abort after N tokens or T seconds, Ctrl-C).
 */
public enum RequestOutcome {
    OK("ok", false),
    RATE_LIMITED("rate_limited", true),
    OVERLOADED("overloaded", true),
    SERVER_ERROR("server_error", true),
    CLIENT_ERROR("client_error", true),
    TIMEOUT("timeout", true),
    CONNECTION_ERROR("connection_error", true),
    CLIENT_CANCEL("client_cancel", false),
    /** Never sent: all connections were busy and the wait queue was full. A client-side limit, not the server's. */
    DROPPED("dropped", true);

    private final String key;
    private final boolean error;

    RequestOutcome(String key, boolean error) {
        this.key = key;
        this.error = error;
    }

    public String key() {
        return key;
    }

    /** Whether this counts as an error in the error rate. Client cancels are deliberate, so they do not. */
    public boolean isError() {
        return error;
    }

    /** The outcome of a complete HTTP response with {@code status}. */
    public static RequestOutcome ofStatus(int status) {
        if (status == 429) {
            return RATE_LIMITED;
        }
        if (status == 503 || status == 529) {
            return OVERLOADED;
        }
        if (status >= 500) {
            return SERVER_ERROR;
        }
        if (status >= 400) {
            return CLIENT_ERROR;
        }
        return OK;
    }

    public static RequestOutcome ofKey(String key) {
        for (RequestOutcome o : values()) {
            if (o.key.equals(key)) {
                return o;
            }
        }
        throw new IllegalArgumentException("unknown outcome: " + key);
    }
}
