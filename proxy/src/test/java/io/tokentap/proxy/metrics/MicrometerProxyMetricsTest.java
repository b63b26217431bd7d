package io.tokentap.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tokentap.core.prom.PromSample;
import io.tokentap.core.prom.PromScrape;
import io.tokentap.core.prom.PromTextParser;
import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.Outcome;
import io.tokentap.core.stream.Usage;
import io.tokentap.core.timeline.RequestTimeline;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class MicrometerProxyMetricsTest {

    static final String LLAMA = "meta-llama/Llama-3.1-8B-Instruct";
    static final long MS = 1_000_000L;

    final AtomicLong clock = new AtomicLong(1_000_000_000L);
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    MicrometerProxyMetrics metrics(MetricsConfig config) {
        return new MicrometerProxyMetrics(registry, config, clock::get);
    }

    static MetricsConfig config(boolean tenants, int topN) {
        return new MetricsConfig(List.of(LLAMA), Map.of(LLAMA, new ModelPrice(1.0, 2.0, 0.5)),
                Duration.ofMinutes(1), tenants, topN);
    }

    /** A streamed request: TTFT 150 ms, then 4 events 40 ms apart, the last carrying 2 tokens. */
    static RequestTimeline request(ProxyMetrics m, String route, String model, long start) {
        m.requestStarted(route, model);
        RequestTimeline t = new RequestTimeline(start, m.intervals(route, model));
        t.status(200);
        t.firstByte(start + 100 * MS);
        long at = start + 150 * MS;
        for (int i = 0; i < 5; i++) {
            t.content(at, ContentKind.TEXT, i == 4 ? 2 : 1, "x");
            at += 40 * MS;
        }
        t.usage(at, new Usage(1000, 6, 200, 0));
        t.end(at, Outcome.OK);
        return t;
    }

    PromScrape scrape() {
        PromScrape s = PromTextParser.parse(registry.scrape());
        assertThat(s.errors()).isEmpty();
        return s;
    }

    static List<PromSample> with(PromScrape s, String name, Map<String, String> labels) {
        return s.samples(name).stream()
                .filter(x -> labels.entrySet().stream().allMatch(e -> e.getValue().equals(x.label(e.getKey()))))
                .collect(Collectors.toList());
    }

    static double value(PromScrape s, String name, Map<String, String> labels) {
        List<PromSample> found = with(s, name, labels);
        assertThat(found).as(name + labels).hasSize(1);
        return found.get(0).value();
    }

    @Test
    void prometheusNamesUnitsAndSloBuckets() {
        MicrometerProxyMetrics m = metrics(config(false, 1));
        m.requestFinished("/v1/chat/completions?x=1", LLAMA, request(m, "/v1/chat/completions", LLAMA, clock.get()));

        PromScrape s = scrape();
        Map<String, String> llama = Map.of("model", LLAMA, "route", "/v1/chat/completions");
        assertThat(s.types().keySet()).contains(
                "tokentap_ttft_seconds", "tokentap_ttfb_seconds", "tokentap_tpot_seconds", "tokentap_e2e_seconds",
                "tokentap_max_stall_seconds", "tokentap_itl_seconds", "tokentap_itl_per_token_seconds",
                "tokentap_request_input_tokens", "tokentap_request_output_tokens",
                "tokentap_streams_in_flight", "tokentap_ttft_window_seconds", "tokentap_ttft_p99_p50_ratio",
                "tokentap_itl_cv");
        assertThat(s.has("tokentap_requests_total")).isTrue();
        assertThat(s.has("tokentap_tokens_total")).isTrue();
        assertThat(s.has("tokentap_cost_dollars_total")).isTrue();

        Set<Double> ttftLe = with(s, "tokentap_ttft_seconds_bucket", llama).stream()
                .map(x -> Double.parseDouble(x.label("le").replace("+Inf", "Infinity"))).collect(Collectors.toSet());
        assertThat(ttftLe).contains(0.1, 0.2, 0.5, 1.0, 2.0, 5.0, Double.POSITIVE_INFINITY);
        Set<Double> itlLe = with(s, "tokentap_itl_seconds_bucket", llama).stream()
                .map(x -> Double.parseDouble(x.label("le").replace("+Inf", "Infinity"))).collect(Collectors.toSet());
        assertThat(itlLe).contains(0.03, 0.05, 0.08, 0.1);

        // One request, TTFT 0.15 s: below the 0.2 bucket, above 0.1.
        assertThat(value(s, "tokentap_ttft_seconds_count", llama)).isEqualTo(1.0);
        assertThat(value(s, "tokentap_ttft_seconds_sum", llama)).isCloseTo(0.15, within(1e-9));
        assertThat(bucket(s, "tokentap_ttft_seconds_bucket", llama, 0.1)).isEqualTo(0.0);
        assertThat(bucket(s, "tokentap_ttft_seconds_bucket", llama, 0.2)).isEqualTo(1.0);
        // Four gaps of 40 ms: per event and per token (the last gap carried 2 tokens: 20 ms).
        assertThat(value(s, "tokentap_itl_seconds_count", llama)).isEqualTo(4.0);
        assertThat(bucket(s, "tokentap_itl_per_token_seconds_bucket", llama, 0.03)).isEqualTo(1.0);
        assertThat(value(s, "tokentap_ttfb_seconds_sum", llama)).isCloseTo(0.1, within(1e-9));
        // TPOT: (310 - 150) ms over (6 - 1) tokens from the server's usage = 32 ms.
        assertThat(value(s, "tokentap_tpot_seconds_sum", llama)).isCloseTo(0.032, within(1e-9));

        assertThat(value(s, "tokentap_requests_total", Map.of("model", LLAMA, "outcome", "ok", "status_class", "2xx")))
                .isEqualTo(1.0);
        assertThat(value(s, "tokentap_tokens_total", Map.of("model", LLAMA, "type", "input"))).isEqualTo(1000.0);
        assertThat(value(s, "tokentap_tokens_total", Map.of("model", LLAMA, "type", "output"))).isEqualTo(6.0);
        assertThat(value(s, "tokentap_tokens_total", Map.of("model", LLAMA, "type", "cached"))).isEqualTo(200.0);
        // (800 × $1 + 200 × $0.5 + 6 × $2) per million.
        assertThat(value(s, "tokentap_cost_dollars_total", Map.of("model", LLAMA))).isCloseTo(912e-6, within(1e-12));
        assertThat(value(s, "tokentap_streams_in_flight", Map.of("model", LLAMA))).isEqualTo(0.0);
        assertThat(value(s, "tokentap_request_input_tokens_sum", llama)).isEqualTo(1000.0);
        assertThat(value(s, "tokentap_ttft_window_seconds", Map.of("model", LLAMA, "quantile", "0.99")))
                .isCloseTo(0.15, within(0.001));
    }

    static double bucket(PromScrape s, String name, Map<String, String> labels, double le) {
        return with(s, name, labels).stream().filter(x -> !x.label("le").equals("+Inf")
                        && Double.parseDouble(x.label("le")) == le).findFirst().orElseThrow().value();
    }

    @Test
    void randomModelNamesCollapseIntoOther() {
        MicrometerProxyMetrics m = metrics(config(false, 1));
        m.requestFinished("/v1/chat/completions", "random-first",
                request(m, "/v1/chat/completions", "random-first", clock.get()));
        m.rejected("/v1/x/first", "random-first", "reason-first");
        int seriesAfterOne = scrape().samples().size();
        for (int i = 0; i < 500; i++) {
            String model = "random-" + i;
            m.requestFinished("/v1/chat/completions", model, request(m, "/v1/chat/completions", model, clock.get()));
            m.rejected("/v1/x/" + i, model, "reason-" + i);
        }
        int seriesAfter501 = scrape().samples().size();
        m.requestFinished("/v1/completions", LLAMA, request(m, "/v1/completions", LLAMA, clock.get()));

        PromScrape s = scrape();
        Set<String> modelValues = s.samples().stream().map(x -> x.label("model")).filter(v -> v != null)
                .collect(Collectors.toSet());
        assertThat(modelValues).containsExactlyInAnyOrder(LLAMA, "other");
        Set<String> routes = s.samples().stream().map(x -> x.label("route")).filter(v -> v != null)
                .collect(Collectors.toSet());
        assertThat(routes).containsExactlyInAnyOrder("/v1/chat/completions", "/v1/completions", "other");
        assertThat(value(s, "tokentap_requests_total",
                Map.of("model", "other", "route", "/v1/chat/completions", "outcome", "ok"))).isEqualTo(501.0);
        assertThat(value(s, "tokentap_rejections_total", Map.of("model", "other", "reason", "other")))
                .isEqualTo(501.0);
        assertThat(s.samples("tokentap_requests_total")).noneMatch(x -> "shed".equals(x.label("outcome")));
        // The series count does not grow with the number of distinct model names: 500 more unlisted names (and
        // routes and reasons) add no series at all.
        System.out.printf("cardinality: %d series after 1 unlisted model name, %d after 501, %d with one listed-model"
                + " request more; model label values %s%n", seriesAfterOne, seriesAfter501, s.samples().size(),
                modelValues);
        assertThat(seriesAfter501).isEqualTo(seriesAfterOne);
        assertThat(s.samples().size()).isLessThan(3000);
    }

    @Test
    void tenantLabelIsHashedAndCapped() {
        MicrometerProxyMetrics m = metrics(config(true, 2));
        for (String tenant : List.of("acme", "globex", "initech", "umbrella", "acme")) {
            m.requestFinished("/v1/chat/completions", LLAMA, tenant,
                    request(m, "/v1/chat/completions", LLAMA, clock.get()));
        }
        PromScrape s = scrape();
        Map<String, Double> perTenant = s.samples("tokentap_requests_total").stream()
                .collect(Collectors.toMap(x -> x.label("tenant"), PromSample::value));
        assertThat(perTenant).containsOnlyKeys(TenantLabels.hash("acme"), TenantLabels.hash("globex"), "other");
        assertThat(perTenant.get(TenantLabels.hash("acme"))).isEqualTo(2.0);
        assertThat(perTenant.get("other")).isEqualTo(2.0);
        assertThat(registry.scrape()).doesNotContain("acme", "globex", "initech");
        assertThat(TenantLabels.hash("acme")).hasSize(12).matches("[0-9a-f]+");
    }

    @Test
    void windowedQuantilesAreExactAndForgetOldValues() {
        MicrometerProxyMetrics m = metrics(config(false, 1));
        for (int i = 1; i <= 100; i++) {
            long start = clock.get();
            m.requestStarted("/v1/completions", LLAMA);
            RequestTimeline t = new RequestTimeline(start, m.intervals("/v1/completions", LLAMA));
            t.content(start + i * MS, ContentKind.TEXT, 1, "a");
            t.content(start + i * MS + (i % 2 == 0 ? 10 : 30) * MS, ContentKind.TEXT, 1, "b");
            t.end(start + 200 * MS, Outcome.OK);
            m.requestFinished("/v1/completions", LLAMA, t);
        }
        PromScrape s = scrape();
        Map<String, String> q50 = Map.of("model", LLAMA, "quantile", "0.5");
        assertThat(value(s, "tokentap_ttft_window_seconds", q50)).isCloseTo(0.050, within(0.0002));
        assertThat(value(s, "tokentap_ttft_window_seconds", Map.of("model", LLAMA, "quantile", "0.95")))
                .isCloseTo(0.095, within(0.0002));
        assertThat(value(s, "tokentap_ttft_window_seconds", Map.of("model", LLAMA, "quantile", "0.99")))
                .isCloseTo(0.099, within(0.0002));
        assertThat(value(s, "tokentap_ttft_p99_p50_ratio", Map.of("model", LLAMA))).isCloseTo(99.0 / 50, within(0.01));
        // ITL 10 and 30 ms, half each: mean 20, std 10.
        assertThat(value(s, "tokentap_itl_cv", Map.of("model", LLAMA))).isCloseTo(0.5, within(0.01));

        clock.addAndGet(Duration.ofSeconds(61).toNanos());
        PromScrape later = scrape();
        assertThat(value(later, "tokentap_ttft_window_seconds", q50)).isNaN();
        assertThat(value(later, "tokentap_itl_cv", Map.of("model", LLAMA))).isNaN();
        // The histograms are cumulative and keep counting.
        assertThat(value(later, "tokentap_ttft_seconds_count", Map.of("model", LLAMA))).isEqualTo(100.0);
    }

    @Test
    void windowSlidesSliceBySlice() {
        WindowedHistogram w = new WindowedHistogram(Duration.ofSeconds(60), clock::get);
        w.recordNanos(100 * MS);
        assertThat(w.count()).isEqualTo(1);
        clock.addAndGet(Duration.ofSeconds(30).toNanos());
        w.recordNanos(200 * MS);
        clock.addAndGet(Duration.ofMillis(300).toNanos());
        assertThat(w.count()).isEqualTo(2);
        clock.addAndGet(Duration.ofSeconds(35).toNanos());
        assertThat(w.count()).isEqualTo(1);
        assertThat(w.quantileSeconds(0.5)).isCloseTo(0.2, within(0.001));
    }

    @Test
    void relayErrorsAreCountedUnderBoundedCauses() {
        MicrometerProxyMetrics m = metrics(config(false, 1));
        m.relayError("upstream", "reset");
        m.relayError("upstream", "reset");
        m.relayError("client", "java.io.IOException: Broken pipe");
        PromScrape s = scrape();
        assertThat(value(s, "tokentap_relay_errors_total", Map.of("side", "upstream", "cause", "reset"))).isEqualTo(2.0);
        assertThat(value(s, "tokentap_relay_errors_total", Map.of("side", "client", "cause", "other"))).isEqualTo(1.0);
    }

    @Test
    void inFlightCountsStartedButUnfinishedRequests() {
        MicrometerProxyMetrics m = metrics(config(false, 1));
        m.requestStarted("/v1/completions", LLAMA);
        m.requestStarted("/v1/completions", "random");
        assertThat(m.streamsInFlight()).isEqualTo(2);
        assertThat(value(scrape(), "tokentap_streams_in_flight", Map.of("model", "other"))).isEqualTo(1.0);
    }

    @Test
    void routesAreNormalised() {
        assertThat(RouteNormalizer.normalize("/v1/chat/completions?stream=true")).isEqualTo("/v1/chat/completions");
        assertThat(RouteNormalizer.normalize("/v1/messages/")).isEqualTo("/v1/messages");
        assertThat(RouteNormalizer.normalize("/v2/models/ensemble/generate_stream"))
                .isEqualTo("/v2/models/{model}/generate_stream");
        assertThat(RouteNormalizer.normalize("/admin/../etc/passwd")).isEqualTo("other");
        assertThat(RouteNormalizer.normalize(null)).isEqualTo("other");
    }

    @Test
    void statusClasses() {
        assertThat(MicrometerProxyMetrics.statusClass(200)).isEqualTo("2xx");
        assertThat(MicrometerProxyMetrics.statusClass(429)).isEqualTo("4xx");
        assertThat(MicrometerProxyMetrics.statusClass(503)).isEqualTo("5xx");
        assertThat(MicrometerProxyMetrics.statusClass(0)).isEqualTo("none");
    }
}
