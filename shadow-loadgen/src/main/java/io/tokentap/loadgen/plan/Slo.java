package io.tokentap.loadgen.plan;

import java.time.Duration;

/**
 * Service-level objectives a request must meet to count towards goodput. A {@code null} bound is not checked. The
 * {@code maxStall} bound is the stream-smoothness objective: no gap between two tokens may exceed it.
 */
public record Slo(Duration ttft, Duration tpot, Duration e2e, Duration maxStall) {

    public static final Slo NONE = new Slo(null, null, null, null);

    public Slo {
        positive("ttft", ttft);
        positive("tpot", tpot);
        positive("e2e", e2e);
        positive("max_stall", maxStall);
    }

    private static void positive(String name, Duration d) {
        if (d != null && (d.isNegative() || d.isZero())) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
    }

    /** Whether a successful request with these figures (nanoseconds, {@code -1} when undefined) meets every bound. */
    public boolean met(long ttftNanos, long tpotNanos, long e2eNanos, long maxStallNanos) {
        return within(ttft, ttftNanos, false) && within(tpot, tpotNanos, true) && within(e2e, e2eNanos, false)
                && within(maxStall, maxStallNanos, true);
    }

    private static boolean within(Duration bound, long nanos, boolean undefinedOk) {
        if (bound == null) {
            return true;
        }
        if (nanos < 0) {
            return undefinedOk;
        }
        return nanos <= bound.toNanos();
    }

    public boolean isEmpty() {
        return ttft == null && tpot == null && e2e == null && maxStall == null;
    }
}
