package io.tokentap.loadgen.analysis.results;

import java.util.Arrays;

/** Raw latency samples in seconds. Immutable. */
public final class ArrayLatencySamples implements LatencySamples {

    private final double[] sorted;

    public ArrayLatencySamples(double[] seconds) {
        this.sorted = seconds.clone();
        Arrays.sort(sorted);
        for (double v : sorted) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("sample: " + v + " (expected: a finite number of seconds >= 0)");
            }
        }
    }

    @Override
    public long count() {
        return sorted.length;
    }

    @Override
    public double percentile(double percentile) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        // Nearest rank, as HdrHistogram does.
        int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
        return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
    }

    @Override
    public double mean() {
        return sorted.length == 0 ? Double.NaN : Arrays.stream(sorted).average().orElse(Double.NaN);
    }

    @Override
    public double[] values(int maxValues) {
        if (sorted.length <= maxValues) {
            return sorted.clone();
        }
        double[] out = new double[maxValues];
        for (int i = 0; i < maxValues; i++) {
            out[i] = sorted[(int) (((i + 0.5) / maxValues) * sorted.length)];
        }
        return out;
    }

    @Override
    public LatencySamples merge(LatencySamples other) {
        double[] theirs = other.values(Integer.MAX_VALUE - 8);
        double[] all = Arrays.copyOf(sorted, sorted.length + theirs.length);
        System.arraycopy(theirs, 0, all, sorted.length, theirs.length);
        return new ArrayLatencySamples(all);
    }
}
