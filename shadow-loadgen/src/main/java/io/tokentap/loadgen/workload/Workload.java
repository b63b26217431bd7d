package io.tokentap.loadgen.workload;

/**
 * What requests are sent. A workload is asked for one request per arrival, on one thread.
 * A synthetic workload never runs out; a file-based one ends ({@code null}) or wraps around, as built.
 */
public interface Workload {

    /** The next request, or {@code null} when the workload is exhausted. */
    RequestSpec next();

    /**
     * Recorded arrival offsets in nanoseconds from the first record, for replay at the recorded times, in the order
     * {@link #next()} returns the requests; {@code null} when the workload has no recorded times.
     */
    default long[] recordedOffsetsNanos() {
        return null;
    }

    /** A short description for the console and results. */
    String describe();
}
