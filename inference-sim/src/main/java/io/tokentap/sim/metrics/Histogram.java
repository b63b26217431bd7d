package io.tokentap.sim.metrics;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;

/** A Prometheus classic histogram: fixed upper bounds in seconds, written by one thread, read by any. */
final class Histogram {
    final double[] bounds;
    private final AtomicLongArray counts;
    private final DoubleAdder sum = new DoubleAdder();

    Histogram(double... bounds) {
        this.bounds = bounds;
        this.counts = new AtomicLongArray(bounds.length + 1);
    }

    void observe(double seconds) {
        int i = 0;
        while (i < bounds.length && seconds > bounds[i]) {
            i++;
        }
        counts.incrementAndGet(i);
        sum.add(seconds);
    }

    /** Cumulative counts per bound, the last one being +Inf. */
    long[] cumulative() {
        long[] out = new long[bounds.length + 1];
        long acc = 0;
        for (int i = 0; i < out.length; i++) {
            acc += counts.get(i);
            out[i] = acc;
        }
        return out;
    }

    double sum() {
        return sum.sum();
    }
}
