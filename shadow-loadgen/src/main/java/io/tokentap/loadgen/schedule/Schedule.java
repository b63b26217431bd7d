package io.tokentap.loadgen.schedule;

/**
 * When requests start: an iterator of intended start times, as offsets in nanoseconds from the stage's start, in
 * non-decreasing order. The executor sends each request at its intended time and measures latency from it, so
 * a client that falls behind shows the delay in the results instead of hiding it.
 *
 * <pre>{@code
 * Schedule s = new OpenSchedule(LoadProfile.constant(100, Duration.ofSeconds(30)), ArrivalProcess.POISSON, 1.0, rng);
 * for (long t = s.nextOffsetNanos(); t != Schedule.END; t = s.nextOffsetNanos()) { ... }
 * }</pre>
 */
public interface Schedule {

    /** Returned by {@link #nextOffsetNanos()} when the schedule has no more arrivals. */
    long END = -1;

    /** The next intended start time in nanoseconds from the stage start, or {@link #END}. */
    long nextOffsetNanos();
}
