package io.tokentap.bench.jmh;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.Outcome;
import io.tokentap.core.timeline.RequestTimeline;
import io.tokentap.proxy.metrics.MetricsConfig;
import io.tokentap.proxy.metrics.MicrometerProxyMetrics;
import io.tokentap.proxy.metrics.ProxyMetrics;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Nanoseconds per recorded event on the relay's path: a content event into the request's {@link RequestTimeline}
 * (running sums, Welford's ITL mean), and the gap it measures into the proxy's meters through the listener that
 * {@link ProxyMetrics#intervals} resolved once for the request (two Prometheus timers with SLO buckets and the
 * model's windowed HdrHistogram). Variants separate the parts; {@code requestStartedAndFinished} is the
 * once-per-request cost for comparison (it includes building a 64-event timeline, 64 × {@code timelineOnly}). The gaps cycle through realistic ITLs (8–80 ms) so that the histograms see varied buckets.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RecordingBench {

    private static final long[] GAPS = {8_000_000, 21_000_000, 33_000_000, 12_500_000, 47_000_000, 80_000_000,
            25_000_000, 19_000_000};

    private RequestTimeline bare;
    private RequestTimeline metered;
    private MicrometerProxyMetrics metrics;
    private org.HdrHistogram.Recorder recorder;
    private RequestTimeline.IntervalListener listener;
    private io.micrometer.core.instrument.Timer itlTimer;
    private long nanos;
    private int i;

    @Setup(Level.Iteration)
    public void setUp() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics = new MicrometerProxyMetrics(registry,
                new MetricsConfig(List.of("llama3"), Map.of(), Duration.ofMinutes(1), false, 20), System::nanoTime);
        bare = new RequestTimeline(0, RequestTimeline.IntervalListener.NONE);
        metered = new RequestTimeline(0, metrics.intervals("/v1/chat/completions", "llama3"));
        nanos = 1_000_000;
        recorder = new org.HdrHistogram.Recorder(3, true);
        listener = metrics.intervals("/v1/chat/completions", "llama3");
        itlTimer = io.micrometer.core.instrument.Timer.builder("y").publishPercentileHistogram()
                .serviceLevelObjectives(Duration.ofMillis(30), Duration.ofMillis(50), Duration.ofMillis(80),
                        Duration.ofMillis(100))
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
    }

    /** The proxy's per-event meters alone: the listener {@link ProxyMetrics#intervals} resolved. */
    @Benchmark
    public long listenerOnly() {
        listener.interTokenLatency(GAPS[i++ & 7], 1);
        return i;
    }

    /** One part of the listener: a Prometheus timer with the percentile histogram and the ITL SLO buckets. */
    @Benchmark
    public long prometheusTimer() {
        itlTimer.record(GAPS[i++ & 7], TimeUnit.NANOSECONDS);
        return i;
    }

    /** The other part: the packed HdrHistogram recorder behind the windowed quantiles. */
    @Benchmark
    public long packedRecorder() {
        recorder.recordValue(GAPS[i++ & 7] / 1000);
        return i;
    }

    private long nextNanos() {
        nanos += GAPS[i++ & 7];
        return nanos;
    }

    /** The timeline alone (what the load generator and a proxy without metrics pay). */
    @Benchmark
    public long timelineOnly() {
        bare.content(nextNanos(), ContentKind.TEXT, 1, null);
        return bare.contentEvents();
    }

    /** The timeline and the proxy's per-event meters: the full recording of one event. */
    @Benchmark
    public long timelineAndMetrics() {
        metered.content(nextNanos(), ContentKind.TEXT, 1, null);
        return metered.contentEvents();
    }

    /** The clock read that stamps each upstream read (one per read, shared by the events the read holds). */
    @Benchmark
    public long nanoTime() {
        return System.nanoTime();
    }

    /** The once-per-request cost: start, a finished 64-token timeline into every request histogram and counter. */
    @Benchmark
    public Outcome requestStartedAndFinished() {
        metrics.requestStarted("/v1/chat/completions", "llama3");
        RequestTimeline t = new RequestTimeline(0, RequestTimeline.IntervalListener.NONE);
        t.firstByte(40_000_000);
        t.status(200);
        long n = 41_000_000;
        for (int k = 0; k < 64; k++) {
            t.content(n, ContentKind.TEXT, 1, null);
            n += 20_000_000;
        }
        t.end(n, Outcome.OK);
        metrics.requestFinished("/v1/chat/completions", "llama3", t);
        return t.outcome();
    }
}
