package io.tokentap.proxy.metrics;

import java.time.Duration;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Count, sum and sum of squares of the values recorded over a sliding window: what the ITL coefficient of variation
 * needs, at the cost of three adder increments per value. It replaces a windowed HdrHistogram on the per-event path,
 * where the packed concurrent histogram's recording (consolidating its packed entries) was the largest single cost
 * of relaying an event (see docs/benchmarks.md).
 *
 * <p>Writers (event loops) add to striped adders and never wait. A reader moves what was added since its last read
 * into the newest of {@value #SLICES} slices, as {@link WindowedHistogram} does, so the window has the same
 * semantics: a reading covers between (slices−1)/slices and all of the window, and values leave it at most one read
 * interval late. The three adders are drained one after the other, so a value recorded during a read may have its
 * count in this read and its sum in the next: one value's worth of error, which a gauge can carry.
 */
final class WindowedMoments {

    static final int SLICES = WindowedHistogram.SLICES;

    private final LongAdder count = new LongAdder();
    private final DoubleAdder sum = new DoubleAdder();
    private final DoubleAdder sumSquares = new DoubleAdder();
    private final long[] sliceCount = new long[SLICES];
    private final double[] sliceSum = new double[SLICES];
    private final double[] sliceSumSquares = new double[SLICES];
    private final long sliceNanos;
    private final LongSupplier nanoTime;
    private int current;
    private long sliceStartNanos;

    WindowedMoments(Duration window, LongSupplier nanoTime) {
        this.sliceNanos = window.toNanos() / SLICES;
        this.nanoTime = nanoTime;
        this.sliceStartNanos = nanoTime.getAsLong();
    }

    /** Records a value in nanoseconds (kept in microseconds, like the histograms). Safe from any thread. */
    void recordNanos(long nanos) {
        double micros = Math.max(0, nanos) / 1000.0;
        count.increment();
        sum.add(micros);
        sumSquares.add(micros * micros);
    }

    /** Coefficient of variation (population std / mean) over the window, or NaN with fewer than two values. */
    synchronized double coefficientOfVariation() {
        roll();
        long n = 0;
        double s = 0;
        double sq = 0;
        for (int i = 0; i < SLICES; i++) {
            n += sliceCount[i];
            s += sliceSum[i];
            sq += sliceSumSquares[i];
        }
        if (n < 2 || s <= 0) {
            return Double.NaN;
        }
        double mean = s / n;
        double variance = Math.max(0, sq / n - mean * mean);
        return Math.sqrt(variance) / mean;
    }

    /** Values in the window. */
    synchronized long count() {
        roll();
        long n = 0;
        for (long c : sliceCount) {
            n += c;
        }
        return n;
    }

    private void roll() {
        long now = nanoTime.getAsLong();
        long elapsed = now - sliceStartNanos;
        if (elapsed >= sliceNanos) {
            long steps = Math.min(SLICES, elapsed / sliceNanos);
            for (long i = 0; i < steps; i++) {
                current = (current + 1) % SLICES;
                sliceCount[current] = 0;
                sliceSum[current] = 0;
                sliceSumSquares[current] = 0;
            }
            sliceStartNanos += (elapsed / sliceNanos) * sliceNanos;
        }
        sliceCount[current] += count.sumThenReset();
        sliceSum[current] += sum.sumThenReset();
        sliceSumSquares[current] += sumSquares.sumThenReset();
    }
}
