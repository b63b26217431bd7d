package io.tokentap.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokentap.proxy.admin.AdminConfig;
import io.tokentap.proxy.metrics.MetricsConfig;
import io.tokentap.proxy.metrics.ModelPrice;
import io.tokentap.proxy.upstream.ScraperConfig;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ObservabilityConfigTest {

    static ProxyConfig parse(String yaml) {
        return ProxyConfig.from(ConfigLoader.parse("upstream:\n  url: http://127.0.0.1:8000\n" + yaml, "test.yaml"));
    }

    @Test
    void sectionsAreRead() {
        ProxyConfig c = parse("""
                admin:
                  listen: 0.0.0.0:9000
                  drainTimeout: 10s
                metrics:
                  models: [llama, qwen]
                  prices:
                    llama: {input: 0.1, output: 0.2}
                    other: {input: 1, output: 2, cachedInput: 0.5}
                  window: 2m
                  tenantLabel: true
                  tenantTopN: 5
                scraper:
                  dcgmUrl: http://127.0.0.1:9400/metrics
                  dcgmPod: my-pod
                  interval: 2s
                  timeout: 1s
                  staleAfter: 10s
                """);
        assertThat(c.admin()).isEqualTo(new AdminConfig(new HostPort("0.0.0.0", 9000), Duration.ofSeconds(10)));
        assertThat(c.metrics()).isEqualTo(new MetricsConfig(List.of("llama", "qwen"),
                Map.of("llama", new ModelPrice(0.1, 0.2, 0.1), "other", new ModelPrice(1, 2, 0.5)),
                Duration.ofMinutes(2), true, 5));
        assertThat(c.scraper()).isEqualTo(new ScraperConfig(true, null, URI.create("http://127.0.0.1:9400/metrics"),
                "my-pod", Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(10)));
    }

    @Test
    void defaults() {
        ProxyConfig c = parse("");
        assertThat(c.admin()).isEqualTo(AdminConfig.DEFAULT);
        assertThat(c.admin().listen()).hasToString("127.0.0.1:9464");
        assertThat(c.metrics()).isEqualTo(MetricsConfig.DEFAULT);
        assertThat(c.scraper()).isEqualTo(ScraperConfig.DEFAULT);
        assertThat(c.scraper().metricsUrlFor(c.upstream().url())).isEqualTo(URI.create("http://127.0.0.1:8000/metrics"));
    }

    @Test
    void theExampleConfigLoads() {
        ProxyConfig c = ProxyConfig.load(java.nio.file.Path.of("../config/proxy.yaml"), Map.of());
        assertThat(c.admin()).isEqualTo(AdminConfig.DEFAULT);
        assertThat(c.metrics()).isEqualTo(MetricsConfig.DEFAULT);
        assertThat(c.scraper()).isEqualTo(ScraperConfig.DEFAULT);
    }

    @Test
    void mistakesAreNamed() {
        assertThatThrownBy(() -> parse("metrics:\n  models: [a]\n  prices:\n    b: {input: 1}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("prices: 'b' is not in models");
        assertThatThrownBy(() -> parse("metrics:\n  models: [a]\n  prices:\n    a: {input: cheap}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("input: 'cheap' (expected: dollars per million");
        assertThatThrownBy(() -> parse("metrics:\n  models: [a]\n  prices:\n    a: {inptu: 1}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("inptu: unknown setting");
        assertThatThrownBy(() -> parse("scraper:\n  interval: 1s\n  timeout: 5s\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("scraper.timeout: PT5S");
        assertThatThrownBy(() -> parse("admin:\n  listen: nowhere\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("admin.listen");
        assertThatThrownBy(() -> parse("metrics:\n  window: 1s\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("window: PT1S (expected: 6s to 1h)");
    }
}
