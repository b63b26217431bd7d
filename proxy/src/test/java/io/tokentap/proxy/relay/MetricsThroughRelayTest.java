package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tokentap.core.prom.PromSample;
import io.tokentap.core.prom.PromScrape;
import io.tokentap.core.prom.PromTextParser;
import io.tokentap.proxy.admin.AdminConfig;
import io.tokentap.proxy.admin.AdminServer;
import io.tokentap.proxy.admin.ReadinessCheck;
import io.tokentap.proxy.config.HostPort;
import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.metrics.MetricsConfig;
import io.tokentap.proxy.metrics.MicrometerProxyMetrics;
import io.tokentap.proxy.metrics.ModelPrice;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole path on real sockets: a client streams through the relay from a scripted upstream, and the admin
 * server's /metrics shows the request under the names, labels and values the dashboards query.
 */
@Timeout(30)
class MetricsThroughRelayTest extends RelayTestSupport {

    static final String MODEL = "llama-test";
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    AdminServer admin;
    InetSocketAddress adminAddress;

    void startWithMicrometer() throws Exception {
        startWithMicrometer(new MetricsConfig(List.of(MODEL), Map.of(MODEL, new ModelPrice(1.0, 2.0)),
                Duration.ofMinutes(1), false, 1));
    }

    void startWithMicrometer(MetricsConfig mc) throws Exception {
        MicrometerProxyMetrics micrometer = new MicrometerProxyMetrics(registry, mc, System::nanoTime);
        proxy = new ProxyServer(ProxyConfig.forUpstream(upstream.url()).withMetrics(mc), micrometer, boss, workers);
        proxyAddress = proxy.start();
        admin = new AdminServer(AdminConfig.DEFAULT.withListen(new HostPort("127.0.0.1", 0)), upstreamLoop, registry,
                ReadinessCheck.ALWAYS);
        adminAddress = admin.start();
    }

    @AfterEach
    void stopAdmin() {
        if (admin != null) {
            admin.close();
        }
    }

    PromScrape scrape() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + adminAddress.getPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return PromTextParser.parse(r.body());
    }

    static double value(PromScrape s, String name, Map<String, String> labels) {
        List<PromSample> found = s.samples(name).stream()
                .filter(x -> labels.entrySet().stream().allMatch(e -> e.getValue().equals(x.label(e.getKey()))))
                .toList();
        assertThat(found).as(name + labels).hasSize(1);
        return found.get(0).value();
    }

    HttpResponse<String> post(String model) throws Exception {
        return post(model, null);
    }

    HttpResponse<String> post(String model, String node) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(proxyUrl() + "/v1/chat/completions?stream=1"));
        if (node != null) {
            b.header("x-tokentap-node", node);
        }
        return http.send(b.header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"stream\":true}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aStreamedRequestShowsUpOnTheAdminPort() throws Exception {
        List<String> tokens = List.of("A", " b", " c", " d", " e");
        upstream = new ScriptedUpstream(upstreamLoop, req -> Sse.openAiChat(MODEL, tokens, Duration.ofMillis(20)));
        upstream.start();
        startWithMicrometer();

        assertThat(post(MODEL).body()).contains("[DONE]");
        Map<String, String> ok = Map.of("model", MODEL, "route", "/v1/chat/completions");
        await().atMost(Duration.ofSeconds(5)).until(() -> scrape().has("tokentap_requests_total"));
        PromScrape s = scrape();
        assertThat(value(s, "tokentap_requests_total", Map.of("model", MODEL, "outcome", "ok", "status_class", "2xx")))
                .isEqualTo(1.0);
        assertThat(value(s, "tokentap_ttft_seconds_count", ok)).isEqualTo(1.0);
        assertThat(value(s, "tokentap_itl_seconds_count", ok)).isEqualTo(tokens.size() - 1.0);
        // The gaps against the upstream's own send times (steps: role chunk, then one per token), not against the
        // scripted 20 ms, which a busy machine stretches. The ITL sum telescopes to last - first content event, so
        // only the two end reads' lag counts; buffering would bring it near zero.
        List<Long> sent = upstream.sendNanos;
        double truthSeconds = (sent.get(tokens.size()) - sent.get(1)) / 1e9;
        double itlSum = value(s, "tokentap_itl_seconds_sum", ok);
        assertThat(itlSum).isGreaterThan((tokens.size() - 1) * 0.020 - 0.005);
        assertThat(itlSum).isCloseTo(truthSeconds, within(0.020));
        assertThat(value(s, "tokentap_tokens_total", Map.of("model", MODEL, "type", "output")))
                .isEqualTo(tokens.size());
        assertThat(value(s, "tokentap_tokens_total", Map.of("model", MODEL, "type", "input"))).isEqualTo(12.0);
        assertThat(value(s, "tokentap_cost_dollars_total", Map.of("model", MODEL)))
                .isCloseTo((12 * 1.0 + tokens.size() * 2.0) / 1e6, within(1e-12));
        assertThat(value(s, "tokentap_streams_in_flight", Map.of("model", MODEL))).isEqualTo(0.0);
        assertThat(value(s, "tokentap_ttft_window_seconds", Map.of("model", MODEL, "quantile", "0.5")))
                .isEqualTo(value(s, "tokentap_ttft_seconds_sum", ok), within(0.001));
    }

    @Test
    void upstreamErrorsAndUnlistedModelsAreLabelledBounded() throws Exception {
        upstream = new ScriptedUpstream(upstreamLoop,
                req -> ScriptedUpstream.Script.fixed(503, "application/json", "{\"error\":\"overloaded\"}"));
        upstream.start();
        startWithMicrometer();

        assertThat(post("not-on-the-list-" + System.nanoTime()).statusCode()).isEqualTo(503);
        await().atMost(Duration.ofSeconds(5)).until(() -> scrape().has("tokentap_requests_total"));
        PromScrape s = scrape();
        assertThat(value(s, "tokentap_requests_total",
                Map.of("model", "other", "outcome", "upstream_5xx", "status_class", "5xx"))).isEqualTo(1.0);
        assertThat(s.samples().stream().map(x -> x.label("model")).filter(m -> m != null).distinct())
                .containsExactlyInAnyOrder(MODEL, "other");
    }

    @Test
    void eachPipelineNodeHasItsOwnSeriesAndAFloodOfNodesStaysBounded() throws Exception {
        upstream = new ScriptedUpstream(upstreamLoop, req -> Sse.openAiChat(MODEL, List.of("A", " b"), Duration.ofMillis(2)));
        upstream.start();
        startWithMicrometer(new MetricsConfig(List.of(MODEL), Map.of(), Duration.ofMinutes(1), false, 1,
                "x-tokentap-node", List.of(), 3));

        assertThat(post(MODEL, "retriever").body()).contains("[DONE]");
        assertThat(post(MODEL, "generator").body()).contains("[DONE]");
        assertThat(post(MODEL, "generator").body()).contains("[DONE]");
        assertThat(post(MODEL).body()).contains("[DONE]");
        // A client inventing a node per request: only the third slot is taken, the rest share "other".
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 40; i++) {
            assertThat(post(MODEL, "n" + Long.toHexString(random.nextLong())).statusCode()).isEqualTo(200);
        }
        assertThat(post(MODEL, "retriever").body()).contains("[DONE]");

        await().atMost(Duration.ofSeconds(5)).until(() -> scrape().samples("tokentap_requests_total").stream()
                .mapToDouble(PromSample::value).sum() == 45.0);
        PromScrape s = scrape();
        Map<String, String> ok = Map.of("model", MODEL, "outcome", "ok", "status_class", "2xx");
        assertThat(value(s, "tokentap_requests_total", with(ok, "retriever"))).isEqualTo(2.0);
        assertThat(value(s, "tokentap_requests_total", with(ok, "generator"))).isEqualTo(2.0);
        assertThat(value(s, "tokentap_requests_total", with(ok, "none"))).isEqualTo(1.0);
        Map<String, String> route = Map.of("model", MODEL, "route", "/v1/chat/completions");
        assertThat(value(s, "tokentap_ttft_seconds_count", with(route, "generator"))).isEqualTo(2.0);
        assertThat(value(s, "tokentap_e2e_seconds_count", with(route, "none"))).isEqualTo(1.0);
        assertThat(value(s, "tokentap_itl_seconds_count", with(route, "retriever"))).isEqualTo(2.0);
        // 40 random nodes: one took the last slot, 39 are "other".
        List<String> flood = s.samples("tokentap_requests_total").stream().map(x -> x.label("node"))
                .filter(n -> !List.of("retriever", "generator", "none", "other").contains(n)).toList();
        assertThat(flood).hasSize(1);
        assertThat(value(s, "tokentap_requests_total", with(ok, flood.get(0)))).isEqualTo(1.0);
        assertThat(value(s, "tokentap_requests_total", with(ok, "other"))).isEqualTo(39.0);
        for (String meter : List.of("tokentap_requests_total", "tokentap_ttft_seconds_count",
                "tokentap_itl_seconds_bucket", "tokentap_e2e_seconds_count", "tokentap_tpot_seconds_count")) {
            assertThat(s.samples(meter)).as(meter + ": every series has a node label")
                    .allSatisfy(x -> assertThat(x.label("node")).isNotNull());
            assertThat(s.samples(meter).stream().map(x -> x.label("node")).distinct()).as(meter)
                    .hasSizeLessThanOrEqualTo(5) // 3 slots, "other", "none"
                    .contains("other");
        }
        assertThat(s.samples("tokentap_tokens_total")).as("per-model counters carry no node")
                .allSatisfy(x -> assertThat(x.label("node")).isNull());
    }

    @Test
    void withTheNodeHeaderOffThereIsNoNodeLabel() throws Exception {
        upstream = new ScriptedUpstream(upstreamLoop, req -> Sse.openAiChat(MODEL, List.of("A", " b"), Duration.ofMillis(2)));
        upstream.start();
        startWithMicrometer(new MetricsConfig(List.of(MODEL), Map.of(), Duration.ofMinutes(1), false, 1,
                "", List.of(), 3));

        assertThat(post(MODEL, "retriever").body()).contains("[DONE]");
        await().atMost(Duration.ofSeconds(5)).until(() -> scrape().has("tokentap_requests_total"));
        PromScrape s = scrape();
        assertThat(s.samples()).allSatisfy(x -> assertThat(x.label("node")).isNull());
        assertThat(value(s, "tokentap_requests_total", Map.of("model", MODEL, "outcome", "ok"))).isEqualTo(1.0);
    }

    static Map<String, String> with(Map<String, String> labels, String node) {
        Map<String, String> m = new java.util.HashMap<>(labels);
        m.put("node", node);
        return m;
    }
}
