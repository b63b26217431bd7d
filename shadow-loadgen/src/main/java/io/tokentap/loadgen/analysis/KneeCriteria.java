package io.tokentap.loadgen.analysis;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * The thresholds of the breaking-point criteria and which of them are switched on.
 *
 * @param enabled the criteria that may fire
 * @param minThroughputGainPerDoubling the least relative throughput gain a doubling of load must bring (0.10);
 *     steps other than a doubling are scaled: a step of factor f must gain {@code (1 + min)^log2(f) - 1}
 * @param slaTtftP95Seconds the p95 TTFT SLA, seconds
 * @param maxTailRatio the largest acceptable p99/p50 TTFT ratio
 * @param maxErrorRate the largest acceptable error rate, 0..1
 * @param kvCacheLimit the KV-cache usage, 0..1, at which a growing queue means saturation
 * @param minTailRequests the p99/p50 criterion is only judged at levels with at least this many requests (a p99
 *     of fewer than 100 values is little more than the maximum, e.g. one JIT-cold request); levels whose count is
 *     unknown (0) are judged
 */
public record KneeCriteria(
        Set<Criterion> enabled,
        double minThroughputGainPerDoubling,
        double slaTtftP95Seconds,
        double maxTailRatio,
        double maxErrorRate,
        double kvCacheLimit,
        long minTailRequests) {

    public KneeCriteria {
        Objects.requireNonNull(enabled, "enabled");
        enabled = enabled.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(enabled));
        if (!(minThroughputGainPerDoubling >= 0)) {
            throw new IllegalArgumentException(
                    "minThroughputGainPerDoubling: " + minThroughputGainPerDoubling + " (expected: >= 0)");
        }
        if (!(slaTtftP95Seconds > 0)) {
            throw new IllegalArgumentException("slaTtftP95Seconds: " + slaTtftP95Seconds + " (expected: > 0)");
        }
        if (!(maxTailRatio > 1)) {
            throw new IllegalArgumentException("maxTailRatio: " + maxTailRatio + " (expected: > 1)");
        }
        if (!(maxErrorRate >= 0 && maxErrorRate < 1)) {
            throw new IllegalArgumentException("maxErrorRate: " + maxErrorRate + " (expected: 0 <= x < 1)");
        }
        if (!(kvCacheLimit > 0 && kvCacheLimit <= 1)) {
            throw new IllegalArgumentException("kvCacheLimit: " + kvCacheLimit + " (expected: 0 < x <= 1)");
        }
        if (minTailRequests < 0) {
            throw new IllegalArgumentException("minTailRequests: " + minTailRequests + " (expected: >= 0)");
        }
    }

    /** All criteria on, with the defaults of the design: 10%, 500 ms, 10, 1%, 95%; p99/p50 from 100 requests. */
    public static KneeCriteria defaults() {
        return new KneeCriteria(EnumSet.allOf(Criterion.class), 0.10, 0.5, 10, 0.01, 0.95, 100);
    }

    /** A copy with only the given criteria switched on. */
    public KneeCriteria only(Criterion first, Criterion... rest) {
        return withEnabled(EnumSet.of(first, rest));
    }

    public KneeCriteria withEnabled(Set<Criterion> criteria) {
        return new KneeCriteria(criteria, minThroughputGainPerDoubling, slaTtftP95Seconds, maxTailRatio, maxErrorRate,
                kvCacheLimit, minTailRequests);
    }

    public KneeCriteria withSlaTtftP95Seconds(double seconds) {
        return new KneeCriteria(enabled, minThroughputGainPerDoubling, seconds, maxTailRatio, maxErrorRate,
                kvCacheLimit, minTailRequests);
    }

    public boolean isEnabled(Criterion c) {
        return enabled.contains(c);
    }

    /** The throughput ratio a step from {@code fromLoad} to {@code toLoad} must at least reach. */
    public double requiredThroughputRatio(double fromLoad, double toLoad) {
        double doublings = Math.log(toLoad / fromLoad) / Math.log(2);
        return Math.pow(1 + minThroughputGainPerDoubling, doublings);
    }
}
