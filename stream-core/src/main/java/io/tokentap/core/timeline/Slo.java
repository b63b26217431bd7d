package io.tokentap.core.timeline;

import io.tokentap.core.stream.Outcome;
import java.time.Duration;

/**
 * The service-level objectives a request must meet to count towards goodput. A limit left {@code null} is not
 * checked. A request is good when it ended {@link Outcome#OK}, reported no error inside its stream, and every
 * limit holds; a figure that is undefined for the request (TPOT below two tokens, max stall with fewer than two
 * content events) passes its limit, as in {@code vllm bench serve}, where TPOT is taken as 0 for such requests.
 *
 * <pre>{@code
 * Slo slo = new Slo(Duration.ofMillis(500), Duration.ofMillis(50), null, Duration.ofSeconds(1));
 * if (slo.isMetBy(timeline)) good++;
 * }</pre>
 *
 * @param ttft     the largest acceptable time to first token
 * @param tpot     the largest acceptable time per output token
 * @param e2e      the largest acceptable end-to-end latency
 * @param maxStall the largest acceptable gap between two content events (the stream-smoothness objective)
 */
public record Slo(Duration ttft, Duration tpot, Duration e2e, Duration maxStall) {

    /** No limits: every complete, error-free request is good. */
    public static final Slo NONE = new Slo(null, null, null, null);

    public Slo {
        check("ttft", ttft);
        check("tpot", tpot);
        check("e2e", e2e);
        check("maxStall", maxStall);
    }

    private static void check(String name, Duration d) {
        if (d != null && d.isNegative()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: a duration >= 0, or no limit)");
        }
    }

    /** Whether the ended request counts towards goodput. */
    public boolean isMetBy(RequestTimeline t) {
        if (t.outcome() != Outcome.OK || t.streamError()) {
            return false;
        }
        if (ttft != null && (t.ttftNanos() == RequestTimeline.UNDEFINED || t.ttftNanos() > ttft.toNanos())) {
            // A complete response without any content has no TTFT: it cannot meet a TTFT objective.
            return false;
        }
        return within(t.tpotNanos(), tpot) && within(t.e2eNanos(), e2e) && within(t.maxStallNanos(), maxStall);
    }

    private static boolean within(long nanos, Duration limit) {
        return limit == null || nanos == RequestTimeline.UNDEFINED || nanos <= limit.toNanos();
    }
}
