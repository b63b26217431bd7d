package io.tokentap.loadgen.schedule;

import org.apache.commons.math3.distribution.GammaDistribution;
import org.apache.commons.math3.random.RandomGenerator;

/**
 * How inter-arrival gaps are drawn in operational time (where the rate is 1): all three have mean 1, and differ in
 * their spread. {@code CONSTANT} is evenly spaced (wrk2's default), {@code POISSON} is exponential (coefficient of
 * variation 1), {@code GAMMA} has CV = 1/√shape, so shape &lt; 1 is burstier than Poisson and shape &gt; 1 smoother.
 */
public enum ArrivalProcess {
    CONSTANT,
    POISSON,
    GAMMA;

    /** A source of gaps with mean 1, drawn from {@code rng}. {@code shape} is only used by {@link #GAMMA}. */
    public GapSource gaps(RandomGenerator rng, double shape) {
        switch (this) {
            case CONSTANT:
                return () -> 1.0;
            case POISSON:
                // Inverse CDF; 1 - u is in (0, 1] so the log is finite.
                return () -> -Math.log(1.0 - rng.nextDouble());
            default:
                if (!(shape > 0)) {
                    throw new IllegalArgumentException("gamma shape: " + shape + " (expected: > 0)");
                }
                GammaDistribution g = new GammaDistribution(rng, shape, 1.0 / shape);
                return g::sample;
        }
    }

    /** Gaps in operational time. */
    @FunctionalInterface
    public interface GapSource {
        double next();
    }
}
