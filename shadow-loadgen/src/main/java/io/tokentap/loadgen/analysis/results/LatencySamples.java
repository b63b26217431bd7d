package io.tokentap.loadgen.analysis.results;

/**
 * A latency distribution in seconds, read from a result file: either an HdrHistogram (recorded values with their
 * counts) or raw samples. What the regression gate and the report need, and nothing more.
 */
public interface LatencySamples {

    /** How many values were recorded. */
    long count();

    /** The value at a percentile, 0..100, in seconds; {@code NaN} when empty. */
    double percentile(double percentile);

    /** The arithmetic mean in seconds; {@code NaN} when empty. */
    double mean();

    /**
     * The values in seconds, one per recorded value (a value recorded k times appears k times), in ascending
     * order. When more than {@code maxValues} were recorded, returns {@code maxValues} evenly spaced quantiles of
     * the distribution instead, which keeps its shape (the statistics then count {@code maxValues} values).
     */
    double[] values(int maxValues);

    /** This distribution and another one together. */
    LatencySamples merge(LatencySamples other);
}
