package io.tokentap.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.tokentap.core.stream.Outcome;
import io.tokentap.core.timeline.RequestTimeline;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The histograms of one (route, model, node) triple, its per-event listener and its request counters. The node is
 * {@code null} when the proxy labels no nodes; its meters then have no {@code node} tag.
 */
final class RouteMeters {
    private final MeterRegistry registry;
    final String routeLabel;
    final String modelLabel;
    final String nodeLabel;
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
    private final AtomicReferenceArray<Counter> requests =
            new AtomicReferenceArray<>(Outcome.values().length * MicrometerProxyMetrics.STATUS_CLASSES.length);

    /** The requests counter of an outcome and status, registered on first use (see ModelMeters.tokens). */
    Counter requests(Outcome outcome, int status) {
        int sc = MicrometerProxyMetrics.statusIndex(status);
        int i = outcome.ordinal() * MicrometerProxyMetrics.STATUS_CLASSES.length + sc;
        Counter c = requests.get(i);
        if (c == null) {
            Tags tags = Tags.of("model", modelLabel, "route", routeLabel,
                    "outcome", outcome.label(), "status_class", MicrometerProxyMetrics.STATUS_CLASSES[sc]);
            c = TokentapMeters.REQUESTS.counter().tags(nodeLabel == null ? tags : tags.and("node", nodeLabel))
                    .register(registry);
            requests.set(i, c);
        }
        return c;
    }

    RouteMeters(MeterRegistry registry, String route, ModelMeters model, String node) {
        this.registry = registry;
        this.routeLabel = route;
        this.modelLabel = model.label;
        this.nodeLabel = node;
        this.model = model;
        Tags tags = Tags.of("model", modelLabel, "route", routeLabel);
        if (node != null) {
            tags = tags.and("node", node);
        }
        ttft = timer(TokentapMeters.TTFT, tags, MicrometerProxyMetrics.TTFT_SLOS, Duration.ofSeconds(120));
        ttfb = timer(TokentapMeters.TTFB, tags, MicrometerProxyMetrics.TTFT_SLOS, Duration.ofSeconds(120));
        tpot = timer(TokentapMeters.TPOT, tags, MicrometerProxyMetrics.ITL_SLOS, Duration.ofSeconds(10));
        e2e = timer(TokentapMeters.E2E, tags, MicrometerProxyMetrics.E2E_SLOS, Duration.ofMinutes(10));
        maxStall = timer(TokentapMeters.MAX_STALL, tags, MicrometerProxyMetrics.TTFT_SLOS, Duration.ofSeconds(120));
        itl = timer(TokentapMeters.ITL, tags, MicrometerProxyMetrics.ITL_SLOS, Duration.ofSeconds(10));
        itlPerToken = timer(TokentapMeters.ITL_PER_TOKEN, tags, MicrometerProxyMetrics.ITL_SLOS, Duration.ofSeconds(10));
        inputTokens = summary(TokentapMeters.REQUEST_INPUT_TOKENS, tags);
        outputTokens = summary(TokentapMeters.REQUEST_OUTPUT_TOKENS, tags);
        WindowedMoments itlWindow = model.itlWindow;
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
                .serviceLevelObjectives(MicrometerProxyMetrics.TOKEN_SLOS)
                .minimumExpectedValue(1.0)
                .maximumExpectedValue(262144.0)
                .register(registry);
    }
}
