package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.metrics.MetricsConfig;
import io.tokentap.proxy.metrics.MicrometerProxyMetrics;
import io.tokentap.proxy.protect.Protection;
import io.tokentap.proxy.protect.ProtectionConfig;
import io.tokentap.proxy.protect.breaker.UpstreamBreaker;
import io.tokentap.proxy.protect.shed.UpstreamSignals;
import io.tokentap.proxy.relay.ScriptedUpstream.Script;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The API key a client sends never shows in what the proxy answers, exports or logs: admitted, rate-limited,
 * retried and failed requests go through a protected proxy with real metrics and the request log, and the key is
 * searched for everywhere.
 */
@Timeout(30)
class SecretsNeverLeakTest extends RelayTestSupport {

    private static final String KEY = "sk-proj-SECRET0123456789abcdefSECRET";

    @Test
    void theApiKeyIsNowhereInResponsesMetricsOrLogs() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        upstream = new ScriptedUpstream(upstreamLoop, req -> switch (calls.incrementAndGet()) {
            case 1 -> Script.fixed(429, "application/json", "{\"error\":{\"message\":\"later\"}}")
                    .header("retry-after-ms", "10");
            case 2 -> Script.fixed(500, "application/json", "{\"error\":{\"message\":\"boom\"}}");
            default -> Script.fixed(200, "application/json", "{\"choices\":[],\"usage\":{\"prompt_tokens\":1,"
                    + "\"completion_tokens\":1,\"total_tokens\":2}}");
        });
        upstream.start();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MicrometerProxyMetrics realMetrics = new MicrometerProxyMetrics(registry, MetricsConfig.DEFAULT,
                System::nanoTime);
        ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
        JsonLinesRequestLog log = new JsonLinesRequestLog(new PrintStream(logBytes, true, StandardCharsets.UTF_8));
        Protection protection = new Protection(ProtectionConfig.defaults().withLimits(
                new ProtectionConfig.Limits(true, 2, 1_000_000, 8, 100, 100, Duration.ofMinutes(5))),
                realMetrics, UpstreamSignals.NONE, "upstream", System::nanoTime, new Random(7), Runnable::run,
                UpstreamBreaker.Listener.NONE);
        ProxyConfig config = ProxyConfig.forUpstream(upstream.url());
        proxy = new ProxyServer(config, realMetrics, boss, workers, new WireFormatTap(1 << 20), log, protection);
        proxyAddress = proxy.start();

        StringBuilder answers = new StringBuilder();
        for (String auth : new String[] {"Authorization: Bearer " + KEY, "x-api-key: " + KEY,
                "api-key: " + KEY, "Authorization: Bearer " + KEY + "\r\nCookie: session=" + KEY}) {
            try (RawClient client = new RawClient(proxyAddress)) {
                String body = "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
                client.write(RawClient.post("/v1/chat/completions", body).replace("Host: test.local\r\n",
                        "Host: test.local\r\nConnection: close\r\n" + auth + "\r\n"));
                client.readInBackground(8192);
                await().atMost(Duration.ofSeconds(10)).until(() -> client.eof);
                answers.append(client.text());
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> protection.admission().inFlight() == 0);
        log.close();
        String everything = answers + "\n" + registry.scrape() + "\n" + logBytes.toString(StandardCharsets.UTF_8);
        // The requests did go through every path: a retried 429, a 500, a success and a rate limit of our own.
        assertThat(answers.toString()).contains("HTTP/1.1 500", "HTTP/1.1 200", "rate_limit_exceeded");
        assertThat(registry.scrape()).contains("tokentap");
        assertThat(everything).doesNotContain(KEY).doesNotContain("SECRET0123456789");
        for (ScriptedUpstream.Received r : upstream.received) {
            // The upstream, of course, gets the key: the proxy relays, it does not authenticate.
            assertThat(r.headers().toString()).contains("SECRET");
        }
    }
}
