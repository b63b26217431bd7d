package io.tokentap.proxy.metrics;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.PackedHistogram;
import org.HdrHistogram.Recorder;

/**
 * Exact quantiles of the values recorded over a sliding window, from an HdrHistogram {@link Recorder}: recording is
 * wait-free (event loops), reading swaps out the recorder's interval histogram into the current slice of a ring.
 * The window is {@value #SLICES} slices; a reading covers between (slices−1)/slices and all of the window.
 *
 * <p>Values are recorded in microseconds with 3 significant digits (0.1% resolution) up to 10 minutes; larger
 * values are clamped. The histograms are packed (memory grows with the buckets in use, not with the range): a
 * full-range array histogram at this precision is about 170 KB, and each model keeps eighteen of them. Readers (the Prometheus scrape) are serialised by a lock; a snapshot is reused for
 * {@value #SNAPSHOT_REUSE_MILLIS} ms so that the gauges of one scrape agree.
 */
final class WindowedHistogram {

    static final int SLICES = 6;
    static final long SNAPSHOT_REUSE_MILLIS = 250;
    private static final long MAX_MICROS = Duration.ofMinutes(10).toNanos() / 1000;

    private final Recorder recorder = new Recorder(3, true);
    private final Histogram[] slices = new Histogram[SLICES];
    private final Histogram window = new PackedHistogram(3);
    private final long sliceNanos;
    private final LongSupplier nanoTime;
    private Histogram interval;
    private int current;
    private long sliceStartNanos;
    private long snapshotNanos;
    private boolean hasSnapshot;

    WindowedHistogram(Duration window, LongSupplier nanoTime) {
        this.sliceNanos = window.toNanos() / SLICES;
        this.nanoTime = nanoTime;
        for (int i = 0; i < SLICES; i++) {
            slices[i] = new PackedHistogram(3);
        }
        this.sliceStartNanos = nanoTime.getAsLong();
    }

    /** Records a value in nanoseconds. Wait-free; safe from any thread. */
    void recordNanos(long nanos) {
        long micros = Math.max(0, Math.min(MAX_MICROS, nanos / 1000));
        recorder.recordValue(micros);
    }

    /** The histogram of the window (in microseconds). The caller must not keep it past the next call. */
    synchronized Histogram snapshot() {
        long now = nanoTime.getAsLong();
        if (hasSnapshot && now - snapshotNanos < SNAPSHOT_REUSE_MILLIS * 1_000_000L) {
            return window;
        }
        interval = recorder.getIntervalHistogram(interval);
        long elapsed = now - sliceStartNanos;
        if (elapsed >= sliceNanos) {
            long steps = Math.min(SLICES, elapsed / sliceNanos);
            for (long i = 0; i < steps; i++) {
                current = (current + 1) % SLICES;
                slices[current].reset();
            }
            sliceStartNanos += (elapsed / sliceNanos) * sliceNanos;
        }
        // Values since the last read go to the newest slice: they leave the window at most one read interval
        // late (the scrape interval), never early.
        slices[current].add(interval);
        window.reset();
        for (Histogram h : slices) {
            window.add(h);
        }
        snapshotNanos = now;
        hasSnapshot = true;
        return window;
    }

    /** The quantile (0..1) in seconds, or NaN when the window is empty. */
    double quantileSeconds(double q) {
        synchronized (this) {
            Histogram h = snapshot();
            return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(q * 100.0) / 1e6;
        }
    }

    /** p99 / p50, or NaN when the window is empty or p50 is zero. */
    double p99OverP50() {
        synchronized (this) {
            Histogram h = snapshot();
            if (h.getTotalCount() == 0) {
                return Double.NaN;
            }
            long p50 = h.getValueAtPercentile(50.0);
            return p50 == 0 ? Double.NaN : (double) h.getValueAtPercentile(99.0) / p50;
        }
    }

    /** Values in the window. */
    long count() {
        synchronized (this) {
            return snapshot().getTotalCount();
        }
    }
}
