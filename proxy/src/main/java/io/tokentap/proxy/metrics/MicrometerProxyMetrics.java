package io.tokentap.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.tokentap.core.stream.Outcome;
import io.tokentap.core.stream.Usage;
import io.tokentap.core.timeline.RequestTimeline;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The Micrometer implementation of {@link ProxyMetrics}: Prometheus histograms with the product's SLO buckets (which
 * aggregate across pods), counters by outcome, tokens and cost, and per-model exact windowed quantiles from
 * HdrHistogram (which do not aggregate, and are shown beside the histograms).
 *
 * <p>The meters of a (route, model) pair are resolved once and cached, so the per-event path
 * ({@link #intervals}) records into three pre-resolved meters without lookups or allocation.
 *
 * <pre>{@code
 * PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * ProxyMetrics metrics = new MicrometerProxyMetrics(registry, config.metrics(), System::nanoTime);
 * }</pre>
 */
public final class MicrometerProxyMetrics implements ProxyMetrics {

    static final Duration[] TTFT_SLOS = seconds(0.1, 0.2, 0.5, 1, 2, 5);
    static final Duration[] ITL_SLOS = seconds(0.03, 0.05, 0.08, 0.1);
    static final Duration[] E2E_SLOS = seconds(1, 2, 5, 10, 30, 60);
    static final double[] TOKEN_SLOS = {16, 64, 256, 1024, 4096, 16384};
    static final double[] QUANTILES = {0.5, 0.95, 0.99};

    private final MeterRegistry registry;
    private final MetricsConfig config;
    private final LongSupplier nanoTime;
    private final ModelLabels models;
    private final TenantLabels tenants;
    private final ConcurrentHashMap<RouteModel, RouteMeters> byRouteModel = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ModelMeters> byModel = new ConcurrentHashMap<>();

    public MicrometerProxyMetrics(MeterRegistry registry, MetricsConfig config, LongSupplier nanoTime) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.config = Objects.requireNonNull(config, "config");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.models = new ModelLabels(config.models());
        this.tenants = config.tenantLabel() ? new TenantLabels(config.tenantTopN()) : null;
        // Series of the known models exist from the start, so dashboards and alerts see them before traffic.
        for (String m : config.models()) {
            modelMeters(m);
        }
        modelMeters(ModelLabels.OTHER);
    }

    @Override
    public void requestStarted(String route, String model) {
        modelMeters(models.label(model)).inFlight.incrementAndGet();
    }

    @Override
    public RequestTimeline.IntervalListener intervals(String route, String model) {
        return routeMeters(route, model).intervals;
    }

    @Override
    public void requestFinished(String route, String model, RequestTimeline timeline) {
        requestFinished(route, model, null, timeline);
    }

    @Override
    public void requestFinished(String route, String model, String tenant, RequestTimeline timeline) {
        RouteMeters m = routeMeters(route, model);
        m.model.inFlight.decrementAndGet();

        Outcome outcome = timeline.outcome() != null ? timeline.outcome() : Outcome.ofStatus(timeline.status());
        String tenantLabel = tenants == null ? null : tenants.label(tenant);
        counter(TokentapMeters.REQUESTS, Tags.of("model", m.modelLabel, "route", m.routeLabel,
                "outcome", outcome.label(), "status_class", statusClass(timeline.status())), tenantLabel).increment();

        recordNanos(m.ttft, timeline.ttftNanos());
        recordNanos(m.ttfb, timeline.ttfbNanos());
        recordNanos(m.tpot, timeline.tpotNanos());
        recordNanos(m.e2e, timeline.e2eNanos());
        recordNanos(m.maxStall, timeline.maxStallNanos());
        if (timeline.ttftNanos() != RequestTimeline.UNDEFINED) {
            m.model.ttftWindow.recordNanos(timeline.ttftNanos());
        }

        Usage u = timeline.usage();
        long output = timeline.outputTokens();
        if (u.inputTokens() != Usage.UNKNOWN) {
            m.inputTokens.record(u.inputTokens());
        }
        if (output > 0 || outcome == Outcome.OK) {
            m.outputTokens.record(output);
        }
        addTokens(m.modelLabel, "input", u.inputTokens(), tenantLabel);
        addTokens(m.modelLabel, "output", output, tenantLabel);
        addTokens(m.modelLabel, "cached", u.cachedTokens(), tenantLabel);
        addTokens(m.modelLabel, "reasoning", u.reasoningTokens(), tenantLabel);

        ModelPrice price = config.prices().get(m.modelLabel);
        if (price != null) {
            double cost = price.cost(u.inputTokens(), u.cachedTokens(), output);
            if (cost > 0) {
                counter(TokentapMeters.COST, Tags.of("model", m.modelLabel), tenantLabel).increment(cost);
            }
        }
    }

    @Override
    public void rejected(String route, String model, String reason) {
        String modelLabel = models.label(model);
        String routeLabel = RouteNormalizer.normalize(route);
        String r = REASONS.getOrDefault(reason, "other");
        TokentapMeters.REJECTIONS.counter().tags("model", modelLabel, "route", routeLabel, "reason", r)
                .register(registry).increment();
        boolean rate = r.equals("rate") || r.equals("tokens");
        TokentapMeters.REQUESTS.counter().tags("model", modelLabel, "route", routeLabel,
                        "outcome", rate ? Outcome.RATE_LIMITED.label() : Outcome.SHED.label(),
                        "status_class", rate ? "4xx" : "5xx")
                .tags(tenants == null ? Tags.empty() : Tags.of("tenant", TenantLabels.NONE))
                .register(registry).increment();
    }

    private static final Map<String, String> REASONS = Map.of(
            "rate", "rate", "tokens", "tokens", "concurrency", "concurrency", "shed", "shed",
            "circuit_open", "circuit_open");

    private void addTokens(String modelLabel, String type, long n, String tenantLabel) {
        if (n > 0) {
            counter(TokentapMeters.TOKENS, Tags.of("model", modelLabel, "type", type), tenantLabel).increment(n);
        }
    }

    private Counter counter(TokentapMeters meter, Tags tags, String tenantLabel) {
        Counter.Builder b = meter.counter().tags(tags);
        if (tenantLabel != null) {
            b.tag("tenant", tenantLabel);
        }
        return b.register(registry);
    }

    private static void recordNanos(Timer t, long nanos) {
        if (nanos != RequestTimeline.UNDEFINED && nanos >= 0) {
            t.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    static String statusClass(int status) {
        return status >= 100 && status < 600 ? (status / 100) + "xx" : "none";
    }

    private RouteMeters routeMeters(String route, String model) {
        String modelLabel = models.label(model);
        String routeLabel = RouteNormalizer.normalize(route);
        RouteModel key = new RouteModel(routeLabel, modelLabel);
        RouteMeters m = byRouteModel.get(key);
        return m != null ? m : byRouteModel.computeIfAbsent(key, k -> new RouteMeters(k, modelMeters(k.model)));
    }

    private ModelMeters modelMeters(String modelLabel) {
        ModelMeters m = byModel.get(modelLabel);
        return m != null ? m : byModel.computeIfAbsent(modelLabel, ModelMeters::new);
    }

    private static Duration[] seconds(double... s) {
        Duration[] d = new Duration[s.length];
        for (int i = 0; i < s.length; i++) {
            d[i] = Duration.ofNanos(Math.round(s[i] * 1e9));
        }
        return d;
    }

    private record RouteModel(String route, String model) { }

    /** Per model: streams in flight and the windowed quantiles, with their gauges. */
    private final class ModelMeters {
        final AtomicInteger inFlight = new AtomicInteger();
        final WindowedHistogram ttftWindow = new WindowedHistogram(config.window(), nanoTime);
        final WindowedHistogram itlWindow = new WindowedHistogram(config.window(), nanoTime);

        ModelMeters(String model) {
            TokentapMeters.STREAMS_IN_FLIGHT.gauge(inFlight, AtomicInteger::get).tag("model", model)
                    .strongReference(true).register(registry);
            for (double q : QUANTILES) {
                TokentapMeters.TTFT_WINDOW.gauge(ttftWindow, w -> w.quantileSeconds(q))
                        .tags("model", model, "quantile", Double.toString(q)).strongReference(true).register(registry);
            }
            TokentapMeters.TTFT_P99_P50_RATIO.gauge(ttftWindow, WindowedHistogram::p99OverP50).tag("model", model)
                    .strongReference(true).register(registry);
            TokentapMeters.ITL_CV.gauge(itlWindow, WindowedHistogram::coefficientOfVariation).tag("model", model)
                    .strongReference(true).register(registry);
        }
    }

    /** The histograms of one (route, model) pair and its per-event listener. */
    private final class RouteMeters {
        final String routeLabel;
        final String modelLabel;
        final ModelMeters model;
        final Timer ttft;
        final Timer ttfb;
        final Timer tpot;
        final Timer e2e;
        final Timer maxStall;
        final Timer itl;
        final Timer itlPerToken;
        final DistributionSummary inputTokens;
        final DistributionSummary outputTokens;
        final RequestTimeline.IntervalListener intervals;

        RouteMeters(RouteModel key, ModelMeters model) {
            this.routeLabel = key.route;
            this.modelLabel = key.model;
            this.model = model;
            Tags tags = Tags.of("model", key.model, "route", key.route);
            ttft = timer(TokentapMeters.TTFT, tags, TTFT_SLOS, Duration.ofSeconds(120));
            ttfb = timer(TokentapMeters.TTFB, tags, TTFT_SLOS, Duration.ofSeconds(120));
            tpot = timer(TokentapMeters.TPOT, tags, ITL_SLOS, Duration.ofSeconds(10));
            e2e = timer(TokentapMeters.E2E, tags, E2E_SLOS, Duration.ofMinutes(10));
            maxStall = timer(TokentapMeters.MAX_STALL, tags, TTFT_SLOS, Duration.ofSeconds(120));
            itl = timer(TokentapMeters.ITL, tags, ITL_SLOS, Duration.ofSeconds(10));
            itlPerToken = timer(TokentapMeters.ITL_PER_TOKEN, tags, ITL_SLOS, Duration.ofSeconds(10));
            inputTokens = summary(TokentapMeters.REQUEST_INPUT_TOKENS, tags);
            outputTokens = summary(TokentapMeters.REQUEST_OUTPUT_TOKENS, tags);
            WindowedHistogram itlWindow = model.itlWindow;
            intervals = (gapNanos, tokens) -> {
                itl.record(gapNanos, TimeUnit.NANOSECONDS);
                itlPerToken.record(gapNanos / Math.max(1, tokens), TimeUnit.NANOSECONDS);
                itlWindow.recordNanos(gapNanos);
            };
        }

        private Timer timer(TokentapMeters meter, Tags tags, Duration[] slos, Duration max) {
            return meter.timer().tags(tags)
                    .publishPercentileHistogram()
                    .serviceLevelObjectives(slos)
                    .minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(max)
                    .register(registry);
        }

        private DistributionSummary summary(TokentapMeters meter, Tags tags) {
            return meter.summary().tags(tags)
                    .publishPercentileHistogram()
                    .serviceLevelObjectives(TOKEN_SLOS)
                    .minimumExpectedValue(1.0)
                    .maximumExpectedValue(262144.0)
                    .register(registry);
        }
    }
}
