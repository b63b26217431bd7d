package io.tokentap.proxy.relay;

import io.tokentap.core.timeline.RequestTimeline;
import io.tokentap.proxy.metrics.ProxyMetrics;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** A test fake of {@link ProxyMetrics} that keeps what it was told. */
final class RecordingMetrics implements ProxyMetrics {

    record Finished(String route, String model, RequestTimeline timeline) { }

    final AtomicInteger started = new AtomicInteger();
    final LinkedBlockingQueue<Finished> finished = new LinkedBlockingQueue<>();
    final List<Long> itlNanos = new CopyOnWriteArrayList<>();
    final List<String> rejected = new CopyOnWriteArrayList<>();
    final List<String> errors = new CopyOnWriteArrayList<>();
    volatile String startedModel;

    @Override
    public void requestStarted(String route, String model) {
        startedModel = model;
        started.incrementAndGet();
    }

    @Override
    public RequestTimeline.IntervalListener intervals(String route, String model) {
        return (gap, tokens) -> itlNanos.add(gap);
    }

    @Override
    public void requestFinished(String route, String model, RequestTimeline timeline) {
        finished.add(new Finished(route, model, timeline));
    }

    @Override
    public void rejected(String route, String model, String reason) {
        rejected.add(reason);
    }

    @Override
    public void relayError(String side, String cause) {
        errors.add(side + ":" + cause);
    }
}
