package io.tokentap.loadgen.schedule;

/**
 * Replay at the recorded times: each recorded offset from the first record is divided by a speed-up factor
 * ({@code 2} replays twice as fast). Offsets must not decrease; a record out of order is sent at once after the one
 * before it.
 */
public final class ReplaySchedule implements Schedule {

    private final long[] recordedOffsetsNanos;
    private final double speedup;
    private int next;
    private long last;

    public ReplaySchedule(long[] recordedOffsetsNanos, double speedup) {
        if (!(speedup > 0) || Double.isInfinite(speedup)) {
            throw new IllegalArgumentException("speedup: " + speedup + " (expected: > 0)");
        }
        this.recordedOffsetsNanos = recordedOffsetsNanos.clone();
        this.speedup = speedup;
    }

    @Override
    public long nextOffsetNanos() {
        if (next >= recordedOffsetsNanos.length) {
            return END;
        }
        long t = Math.max(last, Math.round(recordedOffsetsNanos[next++] / speedup));
        last = t;
        return t;
    }
}
