package io.tokentap.proxy.metrics;

import io.micrometer.core.instrument.Counter;
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
import java.util.function.LongSupplier;

/**
 * The Micrometer implementation of {@link ProxyMetrics}: Prometheus histograms with the product's SLO buckets (which
 * aggregate across pods), counters by outcome, tokens and cost, and per-model exact windowed quantiles from
 * HdrHistogram (which do not aggregate, and are shown beside the histograms).
 *
 * <p>The meters of a (route, model, node) triple are resolved once and cached, so the per-event path
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
    private final NodeLabels nodes;
    private final ConcurrentHashMap<RouteModel, RouteMeters> byRouteModel = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ModelMeters> byModel = new ConcurrentHashMap<>();
    /**
     * The rejection counters by their labels: a storm of rejections finds its counter with one hash lookup instead of
     * building tags and an id and asking the registry, each time.
     */
    private final ConcurrentHashMap<RejectionKey, Counter> rejections = new ConcurrentHashMap<>();

    public MicrometerProxyMetrics(MeterRegistry registry, MetricsConfig config, LongSupplier nanoTime) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.config = Objects.requireNonNull(config, "config");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.models = new ModelLabels(config.models());
        this.tenants = config.tenantLabel() ? new TenantLabels(config.tenantTopN()) : null;
        this.nodes = config.nodeLabel() ? new NodeLabels(config.nodes(), config.nodeLimit()) : null;
        // Series of the known models exist from the start, so dashboards and alerts see them before traffic.
        for (String m : config.models()) {
            modelMeters(m);
        }
        modelMeters(ModelLabels.OTHER);
        // The relay-error series are few and fixed: register them at zero so that rate() reads 0, not "no data".
        for (String side : SIDES) {
            for (String cause : CAUSES) {
                TokentapMeters.RELAY_ERRORS.counter().tags("side", side, "cause", cause).register(registry);
            }
        }
    }

    @Override
    public void requestStarted(String route, String model) {
        modelMeters(models.label(model)).inFlight.incrementAndGet();
    }

    @Override
    public RequestTimeline.IntervalListener intervals(String route, String model) {
        return intervals(route, model, null);
    }

    @Override
    public RequestTimeline.IntervalListener intervals(String route, String model, String node) {
        return routeMeters(route, model, node).intervals;
    }

    @Override
    public void requestFinished(String route, String model, RequestTimeline timeline) {
        requestFinished(route, model, null, null, timeline);
    }

    @Override
    public void requestFinished(String route, String model, String tenant, RequestTimeline timeline) {
        requestFinished(route, model, null, tenant, timeline);
    }

    @Override
    public void requestFinished(String route, String model, String node, String tenant, RequestTimeline timeline) {
        RouteMeters m = routeMeters(route, model, node);
        m.model.inFlight.decrementAndGet();

        Outcome outcome = timeline.outcome() != null ? timeline.outcome() : Outcome.ofStatus(timeline.status());
        String tenantLabel = tenants == null ? null : tenants.label(tenant);
        if (tenantLabel == null) {
            m.requests(outcome, timeline.status()).increment();
        } else {
            Tags tags = Tags.of("model", m.modelLabel, "route", m.routeLabel,
                    "outcome", outcome.label(), "status_class", statusClass(timeline.status()));
            counter(TokentapMeters.REQUESTS, m.nodeLabel == null ? tags : tags.and("node", m.nodeLabel), tenantLabel)
                    .increment();
        }

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
        addTokens(m.model, 0, u.inputTokens(), tenantLabel);
        addTokens(m.model, 1, output, tenantLabel);
        addTokens(m.model, 2, u.cachedTokens(), tenantLabel);
        addTokens(m.model, 3, u.reasoningTokens(), tenantLabel);

        ModelPrice price = m.model.price;
        if (price != null) {
            double cost = price.cost(u.inputTokens(), u.cachedTokens(), output);
            if (cost > 0) {
                Counter c = tenantLabel == null ? m.model.cost()
                        : counter(TokentapMeters.COST, Tags.of("model", m.modelLabel), tenantLabel);
                c.increment(cost);
            }
        }
    }

    static final String[] TOKEN_TYPES = {"input", "output", "cached", "reasoning"};
    static final String[] STATUS_CLASSES = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};

    /**
     * Counts the rejection by reason. The relay also finishes the request (outcome {@code shed} or
     * {@code rate_limited}), which counts it in {@code tokentap_requests_total}; it is not counted twice here.
     */
    @Override
    public void rejected(String route, String model, String reason) {
        RejectionKey key = new RejectionKey(models.label(model), RouteNormalizer.normalize(route),
                REASONS.getOrDefault(reason, "other"));
        Counter c = rejections.get(key);
        if (c == null) {
            // Every label is bounded (models, normalised routes, reasons), and so is this map.
            c = rejections.computeIfAbsent(key, k -> TokentapMeters.REJECTIONS.counter()
                    .tags("model", k.model(), "route", k.route(), "reason", k.reason()).register(registry));
        }
        c.increment();
    }

    /** The labels of one rejection counter. */
    private record RejectionKey(String model, String route, String reason) {
    }

    @Override
    public void relayError(String side, String cause) {
        TokentapMeters.RELAY_ERRORS.counter()
                .tags("side", SIDES.contains(side) ? side : "other", "cause", CAUSES.contains(cause) ? cause : "other")
                .register(registry).increment();
    }

    /** Requests being relayed, over all models. */
    public int streamsInFlight() {
        int n = 0;
        for (ModelMeters m : byModel.values()) {
            n += m.inFlight.get();
        }
        return n;
    }

    private static final java.util.Set<String> SIDES = java.util.Set.of("client", "upstream");
    private static final java.util.Set<String> CAUSES = java.util.Set.of(
            "connect_refused", "connect_timeout", "reset", "timeout", "first_byte_timeout", "idle_timeout",
            "total_timeout", "protocol", "io", "other");

    private static final Map<String, String> REASONS = Map.of(
            "rate", "rate", "tokens", "tokens", "concurrency", "concurrency", "shed", "shed",
            "circuit_open", "circuit_open");

    private void addTokens(ModelMeters m, int type, long n, String tenantLabel) {
        if (n > 0) {
            Counter c = tenantLabel == null ? m.tokens(type)
                    : counter(TokentapMeters.TOKENS, Tags.of("model", m.label, "type", TOKEN_TYPES[type]), tenantLabel);
            c.increment(n);
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
        return STATUS_CLASSES[statusIndex(status)];
    }

    static int statusIndex(int status) {
        return status >= 100 && status < 600 ? status / 100 : 0;
    }

    private RouteMeters routeMeters(String route, String model, String node) {
        String modelLabel = models.label(model);
        String routeLabel = RouteNormalizer.normalize(route);
        // With the node header off there is no node label at all, so every series of a meter has the same names.
        String nodeLabel = nodes == null ? null : nodes.label(node);
        RouteModel key = new RouteModel(routeLabel, modelLabel, nodeLabel);
        RouteMeters m = byRouteModel.get(key);
        return m != null ? m : byRouteModel.computeIfAbsent(key,
                k -> new RouteMeters(registry, k.route, modelMeters(k.model), k.node));
    }

    private ModelMeters modelMeters(String modelLabel) {
        ModelMeters m = byModel.get(modelLabel);
        return m != null ? m : byModel.computeIfAbsent(modelLabel,
                l -> new ModelMeters(registry, l, config.prices().get(l), config.window(), nanoTime));
    }

    private static Duration[] seconds(double... s) {
        Duration[] d = new Duration[s.length];
        for (int i = 0; i < s.length; i++) {
            d[i] = Duration.ofNanos(Math.round(s[i] * 1e9));
        }
        return d;
    }

    private record RouteModel(String route, String model, String node) { }
}
