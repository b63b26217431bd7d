package io.tokentap.sim.faults;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Faults to inject into a request: set for every request by the profile's {@code faults:} section, or for one
 * request by the {@code x-tokentap-fault} header, whose keys override the profile's.
 *
 * <pre>
 * x-tokentap-fault: status=503;retry_after=2          (every request gets a 503 with Retry-After: 2)
 * x-tokentap-fault: status=500;rate=0.1               (10 % of requests get a 500)
 * x-tokentap-fault: disconnect_after=5                (the connection is closed after the 5th token)
 * x-tokentap-fault: stall_ms=300;stall_after=10       (a 300 ms stall after the 10th token)
 * x-tokentap-fault: slow_first_token_ms=500           (the first token is held back 500 ms)
 * x-tokentap-fault: malformed=true                    (a broken SSE data line after the first token)
 * </pre>
 *
 * Durations are model time: {@code --time-scale} shortens them like everything else.
 *
 * @param errorStatus status to answer with instead of serving (0: none); 429, 500, 503 and friends
 * @param errorRate probability that a request gets {@code errorStatus}
 * @param retryAfterSeconds Retry-After sent with the error (0: none)
 * @param disconnectAfter close the connection after this many tokens (-1: never)
 * @param stallMillis length of a stall in the token stream (0: none)
 * @param stallAfter the stall starts after this many tokens
 * @param slowFirstTokenMillis extra delay of the first token (0: none)
 * @param malformed write one malformed SSE data line after the first token
 */
public record FaultSpec(
        int errorStatus, double errorRate, int retryAfterSeconds, int disconnectAfter, long stallMillis,
        int stallAfter, long slowFirstTokenMillis, boolean malformed) {

    /** The header that sets faults for one request. */
    public static final String HEADER = "x-tokentap-fault";

    /** No fault. */
    public static final FaultSpec NONE = new FaultSpec(0, 0, 0, -1, 0, 1, 0, false);

    public FaultSpec {
        if (errorStatus != 0 && (errorStatus < 400 || errorStatus > 599)) {
            throw new IllegalArgumentException("status: " + errorStatus + " (expected: 0 or 400..599)");
        }
        if (!(errorRate >= 0 && errorRate <= 1)) {
            throw new IllegalArgumentException("rate: " + errorRate + " (expected: in [0, 1])");
        }
        if (retryAfterSeconds < 0) {
            throw new IllegalArgumentException("retry_after: " + retryAfterSeconds + " (expected: >= 0)");
        }
        if (disconnectAfter < -1) {
            throw new IllegalArgumentException("disconnect_after: " + disconnectAfter + " (expected: >= 0, or -1 for never)");
        }
        if (stallMillis < 0) {
            throw new IllegalArgumentException("stall_ms: " + stallMillis + " (expected: >= 0)");
        }
        if (stallAfter < 0) {
            throw new IllegalArgumentException("stall_after: " + stallAfter + " (expected: >= 0)");
        }
        if (slowFirstTokenMillis < 0) {
            throw new IllegalArgumentException("slow_first_token_ms: " + slowFirstTokenMillis + " (expected: >= 0)");
        }
    }

    /** Whether this spec injects anything at all. */
    public boolean isNone() {
        return equals(NONE);
    }

    /** Whether a request drawn with {@code uniform} in [0, 1) gets the error status. */
    public boolean errorFor(double uniform) {
        return errorStatus != 0 && uniform < errorRate;
    }

    /** Parses a header value ({@code key=value;key=value}) on top of this spec. */
    public FaultSpec withHeader(String header) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String part : header.split("[;,]")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + p + "' (expected: key=value)");
            }
            kv.put(p.substring(0, eq).trim().toLowerCase(Locale.ROOT), p.substring(eq + 1).trim());
        }
        return with(kv);
    }

    /**
     * These faults with the given keys replaced. A {@code status} without a {@code rate} applies to every request.
     *
     * @throws IllegalArgumentException naming the key that is unknown or has a bad value
     */
    public FaultSpec with(Map<String, String> kv) {
        int status = errorStatus;
        double rate = errorRate;
        int retryAfter = retryAfterSeconds;
        int disconnect = disconnectAfter;
        long stall = stallMillis;
        int stallAt = stallAfter;
        long slowFirst = slowFirstTokenMillis;
        boolean bad = malformed;
        for (Map.Entry<String, String> e : kv.entrySet()) {
            String key = e.getKey();
            String v = e.getValue();
            try {
                switch (key) {
                    case "status" -> {
                        status = Integer.parseInt(v);
                        if (!kv.containsKey("rate")) {
                            rate = 1.0;
                        }
                    }
                    case "rate" -> rate = Double.parseDouble(v);
                    case "retry_after" -> retryAfter = Integer.parseInt(v);
                    case "disconnect_after" -> disconnect = Integer.parseInt(v);
                    case "stall_ms" -> stall = Long.parseLong(v);
                    case "stall_after" -> stallAt = Integer.parseInt(v);
                    case "slow_first_token_ms" -> slowFirst = Long.parseLong(v);
                    case "malformed" -> bad = parseBoolean(v);
                    default -> throw new IllegalArgumentException(key + ": unknown fault (expected one of: status, rate, "
                            + "retry_after, disconnect_after, stall_ms, stall_after, slow_first_token_ms, malformed)");
                }
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException(key + ": '" + v + "' (expected: a number)", ex);
            }
        }
        return new FaultSpec(status, rate, retryAfter, disconnect, stall, stallAt, slowFirst, bad);
    }

    private static boolean parseBoolean(String v) {
        if (v.equalsIgnoreCase("true")) {
            return true;
        }
        if (v.equalsIgnoreCase("false")) {
            return false;
        }
        throw new IllegalArgumentException("malformed: '" + v + "' (expected: true or false)");
    }
}
