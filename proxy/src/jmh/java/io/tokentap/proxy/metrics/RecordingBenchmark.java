package io.tokentap.proxy.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.Outcome;
import io.tokentap.core.stream.Usage;
import io.tokentap.core.timeline.RequestTimeline;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of recording into {@link MicrometerProxyMetrics}: one streamed event (the per-event ITL path: two
 * Prometheus timers and the windowed HdrHistogram recorder) and one finished request (counters, seven histograms,
 * the TTFT window). Not part of the Maven build until the benchmark module exists; run it with the JMH annotation
 * processor on the proxy's class path (see grafana-dashboards/README.md, "Recording cost").
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RecordingBenchmark {

    static final String MODEL = "meta-llama/Llama-3.1-8B-Instruct";

    MicrometerProxyMetrics metrics;
    RequestTimeline.IntervalListener listener;
    RequestTimeline finished;
    long gap;

    @Setup
    public void setup() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics = new MicrometerProxyMetrics(registry, new MetricsConfig(List.of(MODEL),
                Map.of(MODEL, new ModelPrice(0.1, 0.2)), Duration.ofMinutes(1), false, 1), System::nanoTime);
        listener = metrics.intervals("/v1/chat/completions", MODEL);
        finished = new RequestTimeline(0, RequestTimeline.IntervalListener.NONE);
        finished.status(200);
        finished.firstByte(80_000_000L);
        for (int i = 0; i < 100; i++) {
            finished.content(100_000_000L + i * 20_000_000L, ContentKind.TEXT, 1, "x");
        }
        finished.usage(2_200_000_000L, new Usage(500, 100, 0, 0));
        finished.end(2_200_000_000L, Outcome.OK);
    }

    /** One streamed content event: per-event and per-token ITL histograms plus the ITL window. */
    @Benchmark
    public void recordOneEvent() {
        gap = (gap + 7_919_993L) & 0x3FFFFFFL; // 0..67 ms, varying so the bucket search is not trivially predicted
        listener.interTokenLatency(gap + 1_000_000L, 1);
    }

    /** One request start and finish: counters, histograms, cost and the TTFT window. */
    @Benchmark
    public void recordOneRequest() {
        metrics.requestStarted("/v1/chat/completions", MODEL);
        metrics.requestFinished("/v1/chat/completions", MODEL, finished);
    }
}
