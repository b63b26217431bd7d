package io.tokentap.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.tokentap.core.prom.PromTextParser;
import io.tokentap.proxy.metrics.MetricsConfig;
import io.tokentap.proxy.metrics.MicrometerProxyMetrics;
import io.tokentap.proxy.upstream.UpstreamFigures;
import io.tokentap.proxy.upstream.UpstreamState;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class AdminServerTest {

    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final AtomicBoolean reachable = new AtomicBoolean(true);
    final AtomicBoolean circuitOpen = new AtomicBoolean();
    final AtomicBoolean draining = new AtomicBoolean();
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    EventLoopGroup group;
    AdminServer server;
    InetSocketAddress address;

    @BeforeEach
    void start() throws InterruptedException {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        new MicrometerProxyMetrics(registry, MetricsConfig.DEFAULT, System::nanoTime);
        UpstreamState upstream = new UpstreamState() {
            @Override
            public UpstreamFigures current() {
                return UpstreamFigures.UNKNOWN;
            }

            @Override
            public boolean reachable() {
                return reachable.get();
            }

            @Override
            public Duration age() {
                return null;
            }
        };
        ReadinessCheck readiness = ReadinessCheck.all(ReadinessCheck.upstreamReachable(upstream),
                ReadinessCheck.circuitNotOpen(circuitOpen::get), ReadinessCheck.notDraining(draining::get));
        server = new AdminServer(new AdminConfig("127.0.0.1", 0), group, registry, readiness);
        address = server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    HttpResponse<String> get(String path, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + path))
                .timeout(Duration.ofSeconds(5));
        if (accept != null) {
            b.header("Accept", accept);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsInPrometheusTextFormat() throws Exception {
        HttpResponse<String> r = get("/metrics", null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        var scrape = PromTextParser.parse(r.body());
        assertThat(scrape.errors()).isEmpty();
        assertThat(scrape.has("tokentap_streams_in_flight")).isTrue();
    }

    @Test
    void metricsInOpenMetricsWhenAsked() throws Exception {
        HttpResponse<String> r = get("/metrics", "application/openmetrics-text; version=1.0.0,text/plain;q=0.5");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElseThrow()).startsWith("application/openmetrics-text");
        assertThat(r.body()).endsWith("# EOF\n");
        assertThat(PromTextParser.parse(r.body()).errors()).isEmpty();
    }

    @Test
    void healthAndReadiness() throws Exception {
        assertThat(get("/healthz", null).statusCode()).isEqualTo(200);
        assertThat(get("/readyz", null).statusCode()).isEqualTo(200);

        reachable.set(false);
        HttpResponse<String> r = get("/readyz", null);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).isEqualTo("upstream unreachable\n");
        reachable.set(true);

        circuitOpen.set(true);
        assertThat(get("/readyz", null).body()).isEqualTo("circuit open\n");
        circuitOpen.set(false);

        draining.set(true);
        assertThat(get("/readyz", null).statusCode()).isEqualTo(503);
        assertThat(get("/readyz", null).body()).isEqualTo("draining\n");
        // Draining is not death: liveness stays up so the kubelet does not restart a draining pod.
        assertThat(get("/healthz", null).statusCode()).isEqualTo(200);
    }

    @Test
    void unknownPathsAndMethods() throws Exception {
        assertThat(get("/nope", null).statusCode()).isEqualTo(404);
        HttpResponse<String> post = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + address.getPort() + "/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
    }

    @Test
    void adminAddressParsing() {
        assertThat(AdminConfig.parse("0.0.0.0:9464")).isEqualTo(new AdminConfig("0.0.0.0", 9464));
        assertThat(AdminConfig.parse(":9000")).isEqualTo(new AdminConfig("127.0.0.1", 9000));
        assertThat(AdminConfig.parse("[::1]:9000")).isEqualTo(new AdminConfig("::1", 9000));
        assertThatThrownBy(() -> AdminConfig.parse("9464")).hasMessageContaining("expected: HOST:PORT");
        assertThatThrownBy(() -> AdminConfig.parse("h:99999")).hasMessageContaining("expected: 0 to 65535");
    }
}
