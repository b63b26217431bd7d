package io.tokentap.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Every meter the proxy publishes, declared in one place (like Micrometer's {@code NettyMeters}): the Micrometer
 * name, what it measures, its base unit and its tag keys. The Prometheus name is derived by Micrometer's naming
 * convention: dots become underscores, the base unit is appended, counters get {@code _total}; the right-hand
 * column of each entry is that Prometheus name, checked by a test that scrapes the registry.
 *
 * <p>Tag values are bounded: {@code model} comes from the allow-list (else {@code other}), {@code route} from
 * {@link RouteNormalizer}, {@code outcome} from {@link io.tokentap.core.stream.Outcome}, {@code status_class} is
 * {@code 2xx}..{@code 5xx} or {@code none}, {@code tenant} is a hash capped to the configured number of tenants.
 *
 * <p>The per-request meters ({@link #isPerRequest}: the timers, the token summaries and {@link #REQUESTS}) also
 * carry {@code node}, the pipeline node from the {@code metrics.nodeHeader} request header (allow-listed or capped
 * to the first values seen, else {@code other}; {@code none} when absent), unless that header is switched off.
 */
public enum TokentapMeters {

    TTFT(Kind.TIMER, "tokentap.ttft", "Time to first token: first content event - request start", "seconds",
            "model", "route"),                                      // tokentap_ttft_seconds
    TTFB(Kind.TIMER, "tokentap.ttfb", "Time to first response byte", "seconds", "model", "route"),
    TPOT(Kind.TIMER, "tokentap.tpot", "Time per output token: (last - first token) / (output tokens - 1)",
            "seconds", "model", "route"),
    E2E(Kind.TIMER, "tokentap.e2e", "Request start to end of response", "seconds", "model", "route"),
    MAX_STALL(Kind.TIMER, "tokentap.max.stall", "Largest gap between two content events of a request", "seconds",
            "model", "route"),
    ITL(Kind.TIMER, "tokentap.itl", "Inter-token latency, per content event", "seconds", "model", "route"),
    ITL_PER_TOKEN(Kind.TIMER, "tokentap.itl.per.token", "Inter-token latency divided by the tokens of the event",
            "seconds", "model", "route"),
    REQUEST_INPUT_TOKENS(Kind.SUMMARY, "tokentap.request.input", "Input tokens of a request", "tokens",
            "model", "route"),                                      // tokentap_request_input_tokens
    REQUEST_OUTPUT_TOKENS(Kind.SUMMARY, "tokentap.request.output", "Output tokens of a request", "tokens",
            "model", "route"),

    REQUESTS(Kind.COUNTER, "tokentap.requests", "Finished requests by outcome and status class", null,
            "model", "route", "outcome", "status_class"),          // tokentap_requests_total
    TOKENS(Kind.COUNTER, "tokentap.tokens", "Tokens by type: input, output, cached, reasoning", null,
            "model", "type"),                                       // tokentap_tokens_total
    COST(Kind.COUNTER, "tokentap.cost", "Cost from the per-model price table", "dollars",
            "model"),                                               // tokentap_cost_dollars_total
    REJECTIONS(Kind.COUNTER, "tokentap.rejections", "Requests answered by tokentap itself, by reason", null,
            "model", "route", "reason"),                            // tokentap_rejections_total
    RELAY_ERRORS(Kind.COUNTER, "tokentap.relay.errors", "Connections the relay closed on an unexpected error", null,
            "side", "cause"),                                       // tokentap_relay_errors_total

    STREAMS_IN_FLIGHT(Kind.GAUGE, "tokentap.streams.in.flight", "Requests being relayed", null,
            "model"),                                               // tokentap_streams_in_flight
    TTFT_WINDOW(Kind.GAUGE, "tokentap.ttft.window", "Exact TTFT quantile over the recent window", "seconds",
            "model", "quantile"),                                   // tokentap_ttft_window_seconds
    TTFT_P99_P50_RATIO(Kind.GAUGE, "tokentap.ttft.p99.p50.ratio", "TTFT p99 / p50 over the recent window", null,
            "model"),                                               // tokentap_ttft_p99_p50_ratio
    ITL_CV(Kind.GAUGE, "tokentap.itl.cv", "Coefficient of variation (std/mean) of ITL over the recent window",
            null, "model"),                                         // tokentap_itl_cv

    CAPTURE_RECORDS(Kind.FUNCTION_COUNTER, "tokentap.capture.records", "Requests written to the traffic capture",
            null),                                                  // tokentap_capture_records_total
    CAPTURE_DROPPED(Kind.FUNCTION_COUNTER, "tokentap.capture.dropped",
            "Sampled requests not captured: queue_full, write_failed or shutdown", null,
            "reason"),                                              // tokentap_capture_dropped_total

    UPSTREAM_KV_CACHE_USAGE(Kind.GAUGE, "tokentap.upstream.kv.cache.usage", "KV cache in use, 0..1", "ratio"),
    UPSTREAM_REQUESTS_RUNNING(Kind.GAUGE, "tokentap.upstream.requests.running",
            "Requests the inference server is running", null),
    UPSTREAM_REQUESTS_WAITING(Kind.GAUGE, "tokentap.upstream.requests.waiting",
            "Requests waiting in the inference server's queue", null),
    UPSTREAM_PREEMPTIONS(Kind.FUNCTION_COUNTER, "tokentap.upstream.preemptions",
            "Preemptions the inference server reported", null),    // tokentap_upstream_preemptions_total
    GPU_UTILIZATION(Kind.GAUGE, "tokentap.gpu.utilization", "GPU utilisation, 0..1 (mean over GPUs)", "ratio"),
    GPU_MEMORY_USED(Kind.GAUGE, "tokentap.gpu.memory.used", "GPU memory in use (sum over GPUs)", "bytes"),
    GPU_POWER(Kind.GAUGE, "tokentap.gpu.power", "GPU power draw (sum over GPUs)", "watts"),
    UPSTREAM_SCRAPE_SUCCESS(Kind.GAUGE, "tokentap.upstream.scrape.success",
            "1 when the last scrape of the source succeeded", null, "source"),
    UPSTREAM_SCRAPE_AGE(Kind.GAUGE, "tokentap.upstream.scrape.age",
            "Time since the last successful scrape of the source", "seconds", "source");

    /** The Micrometer meter type. */
    public enum Kind { TIMER, SUMMARY, COUNTER, FUNCTION_COUNTER, GAUGE }

    private final Kind kind;
    private final String meterName;
    private final String description;
    private final String baseUnit;
    private final List<String> tagKeys;

    TokentapMeters(Kind kind, String meterName, String description, String baseUnit, String... tagKeys) {
        this.kind = kind;
        this.meterName = meterName;
        this.description = description;
        this.baseUnit = baseUnit;
        this.tagKeys = List.of(tagKeys);
    }

    /** A timer builder with this meter's name and description; tags and histogram settings are the caller's. */
    public Timer.Builder timer() {
        require(Kind.TIMER);
        return Timer.builder(meterName).description(description);
    }

    public DistributionSummary.Builder summary() {
        require(Kind.SUMMARY);
        return DistributionSummary.builder(meterName).description(description).baseUnit(baseUnit);
    }

    public Counter.Builder counter() {
        require(Kind.COUNTER);
        return Counter.builder(meterName).description(description).baseUnit(baseUnit);
    }

    public <T> FunctionCounter.Builder<T> functionCounter(T obj, ToDoubleFunction<T> f) {
        require(Kind.FUNCTION_COUNTER);
        return FunctionCounter.builder(meterName, obj, f).description(description).baseUnit(baseUnit);
    }

    public <T> Gauge.Builder<T> gauge(T obj, ToDoubleFunction<T> f) {
        require(Kind.GAUGE);
        return Gauge.builder(meterName, obj, f).description(description).baseUnit(baseUnit);
    }

    private void require(Kind k) {
        if (kind != k) {
            throw new IllegalStateException(name() + " is a " + kind + ", not a " + k);
        }
    }

    public Kind kind() {
        return kind;
    }

    /** The Micrometer (dot-separated) name. */
    public String meterName() {
        return meterName;
    }

    public String description() {
        return description;
    }

    /** The base unit, or {@code null}. */
    public String baseUnit() {
        return baseUnit;
    }

    /** Whether the meter carries the optional {@code node} tag: the per-request histograms and the request count. */
    public boolean isPerRequest() {
        return kind == Kind.TIMER || kind == Kind.SUMMARY || this == REQUESTS;
    }

    /** The tag keys, without the optional {@code tenant} and {@code node}. */
    public List<String> tagKeys() {
        return tagKeys;
    }
}
