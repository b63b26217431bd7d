package io.tokentap.loadgen.analysis;

/**
 * The SLA tier boundaries. A level is {@link SlaTier#NORMAL} when p95 TTFT is below {@code normalTtftP95Seconds}
 * and the error rate below {@code normalMaxErrorRate}; {@link SlaTier#DEGRADED} when both are below the degraded
 * limits; {@link SlaTier#BREACH} otherwise. The worse of the two figures decides.
 */
public record SlaPolicy(
        double normalTtftP95Seconds,
        double normalMaxErrorRate,
        double degradedTtftP95Seconds,
        double degradedMaxErrorRate) {

    public SlaPolicy {
        if (!(normalTtftP95Seconds > 0)) {
            throw new IllegalArgumentException("normalTtftP95Seconds: " + normalTtftP95Seconds + " (expected: > 0)");
        }
        if (!(degradedTtftP95Seconds >= normalTtftP95Seconds)) {
            throw new IllegalArgumentException("degradedTtftP95Seconds: " + degradedTtftP95Seconds
                    + " (expected: >= normalTtftP95Seconds " + normalTtftP95Seconds + ")");
        }
        if (!(normalMaxErrorRate >= 0 && normalMaxErrorRate <= 1)) {
            throw new IllegalArgumentException("normalMaxErrorRate: " + normalMaxErrorRate + " (expected: 0..1)");
        }
        if (!(degradedMaxErrorRate >= normalMaxErrorRate && degradedMaxErrorRate <= 1)) {
            throw new IllegalArgumentException("degradedMaxErrorRate: " + degradedMaxErrorRate
                    + " (expected: normalMaxErrorRate.." + "1)");
        }
    }

    /** normal: < 500 ms and < 0.1%; degraded: < 2,000 ms and < 1%; breach beyond. */
    public static SlaPolicy defaults() {
        return new SlaPolicy(0.5, 0.001, 2.0, 0.01);
    }

    public SlaTier classify(LevelSummary level) {
        if (level.ttftP95() < normalTtftP95Seconds && level.errorRate() < normalMaxErrorRate) {
            return SlaTier.NORMAL;
        }
        if (level.ttftP95() < degradedTtftP95Seconds && level.errorRate() < degradedMaxErrorRate) {
            return SlaTier.DEGRADED;
        }
        return SlaTier.BREACH;
    }
}
