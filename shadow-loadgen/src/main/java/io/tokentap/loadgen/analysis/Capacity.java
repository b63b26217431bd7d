package io.tokentap.loadgen.analysis;

/**
 * Capacity by Little's law: the concurrency a target throughput needs is {@code throughput × latency}.
 *
 * @param targetRequestsPerSec the throughput the user asked for
 * @param latencySeconds the mean end-to-end latency at the operating point
 * @param requiredConcurrency {@code targetRequestsPerSec × latencySeconds}
 * @param perInstanceConcurrency the concurrency one instance holds at the operating point
 * @param instances instances needed, rounded up
 */
public record Capacity(
        double targetRequestsPerSec,
        double latencySeconds,
        double requiredConcurrency,
        double perInstanceConcurrency,
        long instances) {

    /** Little's law for one target; {@code instances} is 0 when the per-instance concurrency is unknown. */
    public static Capacity of(double targetRequestsPerSec, double latencySeconds, double perInstanceConcurrency) {
        if (!(targetRequestsPerSec > 0)) {
            throw new IllegalArgumentException("targetRequestsPerSec: " + targetRequestsPerSec + " (expected: > 0)");
        }
        if (!(latencySeconds > 0)) {
            throw new IllegalArgumentException("latencySeconds: " + latencySeconds + " (expected: > 0)");
        }
        double required = targetRequestsPerSec * latencySeconds;
        long instances = perInstanceConcurrency > 0 ? (long) Math.ceil(required / perInstanceConcurrency) : 0;
        return new Capacity(targetRequestsPerSec, latencySeconds, required, perInstanceConcurrency, instances);
    }
}
