package io.tokentap.loadgen.exec;

import io.netty.channel.EventLoop;
import io.tokentap.loadgen.result.LoadMetric;
import io.tokentap.loadgen.result.StageRecorder;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The executor's saturation check, like jHiccup: a task asks to run every {@link #PERIOD_NANOS} on an event loop and
 * records how late it ran. A loop busy with work (or starved of CPU) runs it late; the lateness goes to the current
 * stage's {@link LoadMetric#LOOP_LAG}.
 */
final class LoopProbe implements Runnable {

    static final long PERIOD_NANOS = 10_000_000L;

    private final EventLoop loop;
    private final LongSupplier nanoTime;
    private final Supplier<StageRecorder> current;
    private long expected;
    private boolean stopped;

    LoopProbe(EventLoop loop, LongSupplier nanoTime, Supplier<StageRecorder> current) {
        this.loop = loop;
        this.nanoTime = nanoTime;
        this.current = current;
    }

    void start() {
        loop.execute(() -> {
            expected = nanoTime.getAsLong() + PERIOD_NANOS;
            loop.schedule(this, PERIOD_NANOS, TimeUnit.NANOSECONDS);
        });
    }

    void stop() {
        loop.execute(() -> stopped = true);
    }

    @Override
    public void run() {
        if (stopped) {
            return;
        }
        long now = nanoTime.getAsLong();
        StageRecorder r = current.get();
        if (r != null) {
            r.record(LoadMetric.LOOP_LAG, Math.max(0, now - expected));
        }
        expected = Math.max(expected + PERIOD_NANOS, now);
        loop.schedule(this, Math.max(0, expected - now), TimeUnit.NANOSECONDS);
    }
}
