package io.tokentap.sim.metrics;

import io.tokentap.sim.engine.EngineListener;
import io.tokentap.sim.engine.EngineState;
import io.tokentap.sim.engine.FinishReason;
import io.tokentap.sim.profile.Profile;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * The simulator's {@code /metrics}, under vLLM's names, types, label ({@code model_name}, plus V1's
 * {@code engine="0"}) and histogram buckets, so that anything that scrapes vLLM scrapes the simulator.
 * {@code tokentap_sim_time_scale} says how much faster than real hardware the model runs.
 *
 * <p>Written by hand rather than through a client library: the exposition is a dozen families, and the names must
 * match vLLM's byte for byte (colons, {@code _total} suffixes, no {@code _created} series).
 */
public final class SimMetrics implements EngineListener {
    // Bucket bounds from vLLM's metrics (vllm/v1/metrics/loggers.py).
    static final double[] TTFT_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5,
        5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
    static final double[] ITL_BUCKETS = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0,
        7.5, 10.0, 20.0, 40.0, 80.0};
    static final double[] E2E_BUCKETS = {0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0,
        60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};

    private final Profile profile;
    private final double timeScale;
    private final String labels;
    private final Histogram ttft = new Histogram(TTFT_BUCKETS);
    private final Histogram itl = new Histogram(ITL_BUCKETS);
    private final Histogram e2e = new Histogram(E2E_BUCKETS);
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder generationTokens = new LongAdder();
    private final LongAdder preemptions = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder successStop = new LongAdder();
    private final LongAdder successLength = new LongAdder();

    public SimMetrics(Profile profile, double timeScale) {
        this.profile = profile;
        this.timeScale = timeScale;
        this.labels = "engine=\"0\",model_name=\"" + escape(profile.model().name()) + "\"";
    }

    @Override
    public void onFirstToken(long ttftNanos) {
        ttft.observe(ttftNanos / 1e9);
        generationTokens.increment();
    }

    @Override
    public void onNextToken(long itlNanos) {
        itl.observe(itlNanos / 1e9);
        generationTokens.increment();
    }

    @Override
    public void onFinished(long e2eNanos, int prompt, int generated, FinishReason reason) {
        e2e.observe(e2eNanos / 1e9);
        promptTokens.add(prompt);
        (reason == FinishReason.STOP ? successStop : successLength).increment();
    }

    @Override
    public void onPreemption() {
        preemptions.increment();
    }

    @Override
    public void onRejected() {
        rejected.increment();
    }

    /** The Prometheus text exposition (version 0.0.4) of the metrics and the engine's gauges. */
    public String scrape(EngineState s) {
        StringBuilder b = new StringBuilder(8192);
        gauge(b, "vllm:num_requests_running", "Number of requests in model execution batches.", s.running());
        gauge(b, "vllm:num_requests_waiting", "Number of requests waiting to be processed.", s.waiting());
        gauge(b, "vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", s.kvUsage());
        counter(b, "vllm:num_preemptions_total", "Cumulative number of preemption from the engine.", preemptions.sum());
        counter(b, "vllm:prompt_tokens_total", "Number of prefill tokens processed.", promptTokens.sum());
        counter(b, "vllm:generation_tokens_total", "Number of generation tokens processed.", generationTokens.sum());
        header(b, "vllm:request_success_total", "Count of successfully processed requests.", "counter");
        b.append("vllm:request_success_total{").append(labels).append(",finished_reason=\"stop\"} ")
                .append(num(successStop.sum())).append('\n');
        b.append("vllm:request_success_total{").append(labels).append(",finished_reason=\"length\"} ")
                .append(num(successLength.sum())).append('\n');
        histogram(b, "vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", ttft);
        histogram(b, "vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", itl);
        histogram(b, "vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", e2e);
        header(b, "vllm:cache_config_info", "Information of the LLMEngine CacheConfig", "gauge");
        b.append("vllm:cache_config_info{block_size=\"").append(profile.engine().blockSize())
                .append("\",engine=\"0\",gpu_memory_utilization=\"").append(profile.engine().gpuMemoryUtilization())
                .append("\",num_gpu_blocks=\"").append(s.totalBlocks()).append("\"} 1.0\n");
        gauge(b, "tokentap_sim_time_scale", "Model seconds per wall second: above 1, every latency here is "
                + "that many times shorter than on the real hardware.", timeScale);
        counter(b, "tokentap_sim_rejected_requests_total", "Requests rejected because the waiting queue was full.",
                rejected.sum());
        return b.toString();
    }

    private void header(StringBuilder b, String name, String help, String type) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private void gauge(StringBuilder b, String name, String help, double v) {
        header(b, name, help, "gauge");
        b.append(name).append('{').append(labels).append("} ").append(num(v)).append('\n');
    }

    private void counter(StringBuilder b, String name, String help, double v) {
        header(b, name, help, "counter");
        b.append(name).append('{').append(labels).append("} ").append(num(v)).append('\n');
    }

    private void histogram(StringBuilder b, String name, String help, Histogram h) {
        header(b, name, help, "histogram");
        long[] cum = h.cumulative();
        for (int i = 0; i < cum.length; i++) {
            String le = i < h.bounds.length ? num(h.bounds[i]) : "+Inf";
            b.append(name).append("_bucket{").append(labels).append(",le=\"").append(le).append("\"} ")
                    .append(num(cum[i])).append('\n');
        }
        b.append(name).append("_sum{").append(labels).append("} ").append(num(h.sum())).append('\n');
        b.append(name).append("_count{").append(labels).append("} ").append(num(cum[cum.length - 1])).append('\n');
    }

    static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return (long) v + ".0";
        }
        return String.format(Locale.ROOT, "%s", v);
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
