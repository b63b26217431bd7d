package io.tokentap.proxy.metrics;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.PackedHistogram;

/**
 * Exact quantiles of the values recorded over a sliding window of HdrHistograms. Writers (the event loops, once per
 * request) record into the active histogram under a short lock; a reading swaps it with a spare under the same
 * lock, which is all a writer can ever wait for, and adds it to the current slice of a ring outside it. The window
 * is {@value #SLICES} slices; a reading covers between (slices−1)/slices and all of the window.
 *
 * <p>Values are recorded in microseconds with 3 significant digits (0.1% resolution) up to 10 minutes; larger
 * values are clamped. The histograms are packed (memory grows with the buckets in use, not with the range): a
 * full-range array histogram at this precision is about 170 KB, and each model keeps nine of them. They are plain,
 * single-threaded histograms behind a lock on purpose: HdrHistogram's concurrent packed recorder
 * ({@code new Recorder(3, true)}) livelocked with two writers growing its arrays at once, which stopped every event
 * loop of the proxy ({@code WindowedHistogramTest}). Readers (the Prometheus scrape) are serialised by the
 * object's monitor; a snapshot is reused for {@value #SNAPSHOT_REUSE_MILLIS} ms so that the gauges of one scrape
 * agree.
 */
final class WindowedHistogram {

    static final int SLICES = 6;
    static final long SNAPSHOT_REUSE_MILLIS = 250;
    private static final long MAX_MICROS = Duration.ofMinutes(10).toNanos() / 1000;

    private final Object recordLock = new Object();
    /** Where writers record; guarded by {@link #recordLock}. */
    private Histogram active = new PackedHistogram(3);
    /** The histogram swapped in at the next reading; only the reader touches it. */
    private Histogram spare = new PackedHistogram(3);
    private final Histogram[] slices = new Histogram[SLICES];
    private final Histogram window = new PackedHistogram(3);
    private final long sliceNanos;
    private final LongSupplier nanoTime;
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

    /** Records a value in nanoseconds. Safe from any thread; waits at most for another writer or a swap. */
    void recordNanos(long nanos) {
        long micros = Math.max(0, Math.min(MAX_MICROS, nanos / 1000));
        synchronized (recordLock) {
            active.recordValue(micros);
        }
    }

    /** The histogram of the window (in microseconds). The caller must not keep it past the next call. */
    synchronized Histogram snapshot() {
        long now = nanoTime.getAsLong();
        if (hasSnapshot && now - snapshotNanos < SNAPSHOT_REUSE_MILLIS * 1_000_000L) {
            return window;
        }
        Histogram interval;
        synchronized (recordLock) {
            interval = active;
            active = spare;
        }
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
        interval.reset();
        spare = interval;
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
