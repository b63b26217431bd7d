package io.tokentap.loadgen.result;

import io.tokentap.core.timeline.RequestTimeline;
import io.tokentap.core.timeline.Slo;
import java.util.EnumMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Records one stage's requests from any thread (the executor's event loops) without locks: HdrHistogram
 * {@link Recorder}s and {@link LongAdder}s. One reporting thread drains it each interval with
 * {@link #drain(IntervalSink)}, which hands the interval histograms to the interval log and adds them to the stage's
 * {@link StageStats}.
 *
 * <p>The figures recorded once per streamed event (ITL and ITL per token) go into histograms of the recording
 * thread's own (a {@link Shard} of {@link SingleWriterRecorder}s: a plain increment and two atomic increments on
 * lines only that thread writes), which the drain merges. An event of one token, the usual one, has the same ITL and
 * ITL per token and is recorded once, into a histogram the drain adds to both; an event of a request's class is
 * recorded for the class only, and the drain adds the classes' histograms to the stage's. So the usual event costs
 * one recording where it cost four (two figures, stage and class): 13 % of the load generator's CPU samples went to
 * them against an unpaced upstream. One recorder shared by the event loops made every event
 * pay for atomics on cache lines that moved between the cores: async-profiler put 27 % of the loops' CPU samples on
 * one of them (100 users against an unpaced upstream, 770,000 events/s), and per thread the load generator used
 * 3.5-20 % less CPU per event in three alternating pairs of runs (docs/benchmarks.md). The figures recorded once per
 * request stay on shared recorders, where that cost is spread over a whole stream.
 *
 * <p>A run of equal gaps is recorded in one call. The events of one read share its timestamp, so all but the first
 * have a gap of 0. For a read of 16 events, JMH ({@code LoadgenRecordingBench}) gives 203 ns recorded one by one (two
 * atomic increments each) and 41 ns in runs: about 1.5 % of a core at 1.5 million events/s, too little for whole
 * runs of the load generator to tell apart. A request's {@link Events} hold the run back until a different gap comes
 * or {@link Events#flush()} is called, which the executor does after each read and the timeline when the request
 * ends: no gap waits past the read it came in.
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

    /** The figures recorded per streamed event, recorded per thread. */
    private static final LoadMetric[] PER_EVENT = {LoadMetric.ITL, LoadMetric.ITL_PER_TOKEN};

    /** A shard's histograms: ITL of events of several tokens; their ITL per token; events of one token, for both. */
    private static final int ITL_ONLY = 0;
    private static final int PER_TOKEN_ONLY = 1;
    private static final int BOTH = 2;

    /**
     * One thread's histograms of the {@link #PER_EVENT} figures: the ITL of events of several tokens, their ITL per
     * token, and the events of one token ({@link #BOTH}); about 1.1 MB (each an active and an inactive histogram of 3
     * significant digits up to an hour), once per event loop that records into the stage or class.
     */
    private static final class Shard {
        final SingleWriterRecorder[] recorders = new SingleWriterRecorder[PER_EVENT.length + 1];
        /** Per histogram, the run of equal values not recorded yet: its value and its length (0: none). */
        final long[] runValue = new long[recorders.length];
        final long[] runLength = new long[recorders.length];

        Shard() {
            for (int i = 0; i < recorders.length; i++) {
                recorders[i] = new SingleWriterRecorder(1, StageStats.HIGHEST_MICROS, 3);
            }
        }

        void add(int index, long nanos) {
            long micros = micros(nanos);
            if (runLength[index] > 0 && runValue[index] == micros) {
                runLength[index]++;
                return;
            }
            recordRun(index);
            runValue[index] = micros;
            runLength[index] = 1;
        }

        void flush() {
            for (int i = 0; i < runLength.length; i++) {
                recordRun(i);
            }
        }

        private void recordRun(int index) {
            if (runLength[index] > 0) {
                recorders[index].recordValueWithCount(runValue[index], runLength[index]);
                runLength[index] = 0;
            }
        }
    }

    private final CopyOnWriteArrayList<Shard> shards = new CopyOnWriteArrayList<>();
    /** Each shard's interval, copied here by the drain before it is added to the merged one. */
    private final Histogram scratch = new Histogram(1, StageStats.HIGHEST_MICROS, 3);
    private final ThreadLocal<Shard> shard = ThreadLocal.withInitial(() -> {
        Shard s = new Shard();
        shards.add(s);
        return s;
    });
    private final LongAdder[] outcomes = new LongAdder[RequestOutcome.values().length];
    private final LongAdder inputTokens = new LongAdder();
    private final LongAdder outputTokens = new LongAdder();
    private final LongAdder cachedTokens = new LongAdder();
    private final LongAdder good = new LongAdder();
    private final LongAdder inFlight = new LongAdder();
    private final boolean isClass;
    private final java.util.concurrent.ConcurrentHashMap<String, StageRecorder> classes =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final Recorder chainTokens = new Recorder(1, 1_000_000_000L, 3);
    private Histogram recycledChain;
    private final LongAdder chainsIncomplete = new LongAdder();
    private final LongAdder ended = new LongAdder();

    public StageRecorder(StageStats stats, Slo slo) {
        this(stats, slo, false);
    }

    private StageRecorder(StageStats stats, Slo slo, boolean isClass) {
        this.isClass = isClass;
        this.stats = stats;
        this.slo = slo;
        for (LoadMetric m : LoadMetric.values()) {
            if (perEvent(m)) {
                recycled.put(m, new Histogram(1, StageStats.HIGHEST_MICROS, 3)); // the drain merges into it
            } else {
                recorders.put(m, new Recorder(1, StageStats.HIGHEST_MICROS, 3));
            }
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
        if (nanos < 0) {
            return;
        }
        if (perEvent(m)) {
            shard.get().recorders[m == PER_EVENT[0] ? ITL_ONLY : PER_TOKEN_ONLY].recordValue(micros(nanos));
        } else {
            recorders.get(m).recordValue(micros(nanos));
        }
    }

    private static boolean perEvent(LoadMetric m) {
        return m == PER_EVENT[0] || m == PER_EVENT[1];
    }

    /** The recorder of one workload class (created on first use; classes are bounded by the workload). */
    private StageRecorder child(String label) {
        return classes.computeIfAbsent(label, l -> {
            StageStats cs = new StageStats(l, stats.type(), stats.load(), stats.level());
            synchronized (this) {
                stats.classes().put(l, cs);
            }
            return new StageRecorder(cs, slo, true);
        });
    }

    /**
     * Records each inter-token gap for the request's class, whose histograms the drain adds to the stage's; without a
     * class, for the stage.
     */
    public Events intervalListener(String label) {
        return isClass || label == null ? intervalListener() : child(label).intervalListener();
    }

    /** A request of class {@code label} ended: recorded for the stage and for its class. */
    public void finished(RequestTimeline t, long actualSendNanos, RequestOutcome outcome, String label) {
        finished(t, actualSendNanos, outcome);
        if (!isClass && label != null) {
            StageRecorder c = child(label);
            c.inFlight.increment();
            c.finished(t, actualSendNanos, outcome);
        }
    }

    /**
     * A session or pipeline request ended: its first call's intended start, its last call's end, the tokens of all
     * its calls, and whether every call succeeded (only complete ones are recorded; the others are counted).
     */
    public void chainEnded(long startNanos, long endNanos, long totalTokens, boolean complete) {
        if (!complete) {
            chainsIncomplete.increment();
            return;
        }
        record(LoadMetric.CHAIN_E2E, endNanos - startNanos);
        chainTokens.recordValue(Math.max(1, Math.min(1_000_000_000L, totalTokens)));
    }

    /** Records one request's inter-token gaps as the per-event ITL and the per-token ITL. */
    public Events intervalListener() {
        return new Events();
    }

    /**
     * One request's listener: records each gap into the histograms of the thread it runs on, and holds a run of equal
     * gaps back until {@link #flush()} (see the class comment). One request's events all come on one thread.
     */
    public final class Events implements RequestTimeline.IntervalListener {
        /** The shard of the thread this request runs on, looked up at its first gap. */
        private Shard threadShard;

        private Events() {
        }

        @Override
        public void interTokenLatency(long gapNanos, int tokens) {
            if (gapNanos < 0) {
                return;
            }
            Shard s = threadShard;
            if (s == null) {
                s = threadShard = shard.get();
            }
            if (tokens <= 1) {
                s.add(BOTH, gapNanos); // the gap divided by one token is the gap
            } else {
                s.add(ITL_ONLY, gapNanos);
                s.add(PER_TOKEN_ONLY, gapNanos / tokens);
            }
        }

        /** Records the runs held back on this thread, this request's and those of the thread's other requests. */
        @Override
        public void flush() {
            if (threadShard != null) {
                threadShard.flush();
            }
        }
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

    /** Requests that ended (any outcome) since this recorder was made; draining does not reset it. */
    public long ended() {
        return ended.sum();
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
        ended.increment();
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
            // The one goodput definition, shared with the proxy (stream-core's Slo).
            if (slo.isMetBy(t)) {
                good.increment();
            }
        }
    }

    /** Moves everything recorded since the last drain into the stage's stats, passing interval histograms on. */
    public synchronized void drain(IntervalSink sink) {
        for (LoadMetric m : LoadMetric.values()) {
            if (perEvent(m)) {
                continue;
            }
            Histogram h = recorders.get(m).getIntervalHistogram(recycled.get(m));
            sink.interval(m, h);
            stats.histogram(m).add(h);
            recycled.put(m, h);
        }
        // The classes first: their per-event intervals are also the stage's.
        for (StageRecorder c : classes.values()) {
            c.drain((m, h) -> { });
        }
        drainPerEvent(sink);
        for (RequestOutcome o : RequestOutcome.values()) {
            stats.addCount(o, outcomes[o.ordinal()].sumThenReset());
        }
        stats.addTokens(inputTokens.sumThenReset(), outputTokens.sumThenReset(), cachedTokens.sumThenReset());
        stats.addGood(good.sumThenReset());
        recycledChain = chainTokens.getIntervalHistogram(recycledChain);
        stats.chainTokens().add(recycledChain);
        stats.addChainsIncomplete(chainsIncomplete.sumThenReset());
    }

    /**
     * Merges the threads' interval histograms of the per-event figures, and the classes' intervals just drained, and
     * passes each figure's sum on as one interval.
     */
    private void drainPerEvent(IntervalSink sink) {
        Histogram itl = recycled.get(PER_EVENT[0]);
        Histogram perToken = recycled.get(PER_EVENT[1]);
        itl.reset();
        perToken.reset();
        long start = Long.MAX_VALUE;
        long end = 0;
        for (Shard s : shards) {
            for (int i = 0; i < s.recorders.length; i++) {
                s.recorders[i].getIntervalHistogramInto(scratch);
                if (i != PER_TOKEN_ONLY) {
                    itl.add(scratch);
                }
                if (i != ITL_ONLY) {
                    perToken.add(scratch);
                }
                start = Math.min(start, scratch.getStartTimeStamp());
                end = Math.max(end, scratch.getEndTimeStamp());
            }
        }
        for (StageRecorder c : classes.values()) {
            Histogram classItl = c.recycled.get(PER_EVENT[0]);
            itl.add(classItl);
            perToken.add(c.recycled.get(PER_EVENT[1]));
            if (classItl.getEndTimeStamp() > 0) {
                start = Math.min(start, classItl.getStartTimeStamp());
                end = Math.max(end, classItl.getEndTimeStamp());
            }
        }
        passOn(PER_EVENT[0], itl, start, end, sink);
        passOn(PER_EVENT[1], perToken, start, end, sink);
    }

    private void passOn(LoadMetric m, Histogram h, long start, long end, IntervalSink sink) {
        if (end > 0) {
            h.setStartTimeStamp(start);
            h.setEndTimeStamp(end);
        }
        sink.interval(m, h);
        stats.histogram(m).add(h);
    }
}
