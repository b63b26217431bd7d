package io.tokentap.loadgen.result;

import io.tokentap.core.timeline.RequestTimeline;
import io.tokentap.loadgen.plan.Slo;
import java.util.EnumMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Records one stage's requests from any thread (the executor's event loops) without locks: HdrHistogram
 * {@link Recorder}s and {@link LongAdder}s. One reporting thread drains it each interval with
 * {@link #drain(IntervalSink)}, which hands the interval histograms to the interval log and adds them to the stage's
 * {@link StageStats}.
 */
public final class StageRecorder {

    /** Receives each drained interval histogram. */
    @FunctionalInterface
    public interface IntervalSink {
        void interval(LoadMetric metric, Histogram interval);
    }

    private final StageStats stats;
    private final Slo slo;
    private final EnumMap<LoadMetric, Recorder> recorders = new EnumMap<>(LoadMetric.class);
    private final EnumMap<LoadMetric, Histogram> recycled = new EnumMap<>(LoadMetric.class);
    private final LongAdder[] outcomes = new LongAdder[RequestOutcome.values().length];
    private final LongAdder inputTokens = new LongAdder();
    private final LongAdder outputTokens = new LongAdder();
    private final LongAdder cachedTokens = new LongAdder();
    private final LongAdder good = new LongAdder();
    private final LongAdder inFlight = new LongAdder();

    public StageRecorder(StageStats stats, Slo slo) {
        this.stats = stats;
        this.slo = slo;
        for (LoadMetric m : LoadMetric.values()) {
            recorders.put(m, new Recorder(1, StageStats.HIGHEST_MICROS, 3));
        }
        for (int i = 0; i < outcomes.length; i++) {
            outcomes[i] = new LongAdder();
        }
    }

    public StageStats stats() {
        return stats;
    }

    private static long micros(long nanos) {
        return Math.max(1, Math.min(StageStats.HIGHEST_MICROS, (nanos + 500) / 1000));
    }

    /** Records a value in nanoseconds. */
    public void record(LoadMetric m, long nanos) {
        if (nanos >= 0) {
            recorders.get(m).recordValue(micros(nanos));
        }
    }

    /** Records each inter-token gap as the per-event ITL and the per-token ITL. */
    public RequestTimeline.IntervalListener intervalListener() {
        return (gapNanos, tokens) -> {
            record(LoadMetric.ITL, gapNanos);
            record(LoadMetric.ITL_PER_TOKEN, gapNanos / Math.max(1, tokens));
        };
    }

    /**
     * A request was handed to a connection {@code lagNanos} after its intended time. This lag is the client's own
     * lateness (timer and dispatch); waiting for a free connection comes later and shows in TTFT instead.
     */
    public void dispatched(long lagNanos) {
        inFlight.increment();
        record(LoadMetric.SCHEDULE_LAG, lagNanos);
    }

    /** A request could not be sent at all. */
    public void dropped() {
        inFlight.decrement();
        outcomes[RequestOutcome.DROPPED.ordinal()].increment();
    }

    /** Requests sent and not finished yet. */
    public long inFlight() {
        return inFlight.sum();
    }

    /**
     * A request ended. Latency figures are recorded for requests that completed or were cancelled by the client's
     * own behaviour; failed requests are only counted.
     *
     * @param actualSendNanos when the request was really written (its timeline starts at the intended time)
     */
    public void finished(RequestTimeline t, long actualSendNanos, RequestOutcome outcome) {
        inFlight.decrement();
        outcomes[outcome.ordinal()].increment();
        var usage = t.usage();
        if (usage.inputTokens() > 0) {
            inputTokens.add(usage.inputTokens());
        }
        if (usage.cachedTokens() > 0) {
            cachedTokens.add(usage.cachedTokens());
        }
        outputTokens.add(t.outputTokens());
        if (outcome != RequestOutcome.OK && outcome != RequestOutcome.CLIENT_CANCEL) {
            return;
        }
        long ttft = t.ttftNanos();
        record(LoadMetric.TTFT, ttft);
        if (t.firstTokenNanos() != RequestTimeline.UNDEFINED) {
            record(LoadMetric.SERVICE_TTFT, t.firstTokenNanos() - actualSendNanos);
        }
        record(LoadMetric.MAX_STALL, t.maxStallNanos());
        if (outcome == RequestOutcome.OK) {
            record(LoadMetric.TPOT, t.tpotNanos());
            record(LoadMetric.E2E, t.e2eNanos());
            if (slo.met(ttft, t.tpotNanos(), t.e2eNanos(), t.maxStallNanos())) {
                good.increment();
            }
        }
    }

    /** Moves everything recorded since the last drain into the stage's stats, passing interval histograms on. */
    public synchronized void drain(IntervalSink sink) {
        for (LoadMetric m : LoadMetric.values()) {
            Histogram h = recorders.get(m).getIntervalHistogram(recycled.get(m));
            sink.interval(m, h);
            stats.histogram(m).add(h);
            recycled.put(m, h);
        }
        for (RequestOutcome o : RequestOutcome.values()) {
            stats.addCount(o, outcomes[o.ordinal()].sumThenReset());
        }
        stats.addTokens(inputTokens.sumThenReset(), outputTokens.sumThenReset(), cachedTokens.sumThenReset());
        stats.addGood(good.sumThenReset());
    }
}
