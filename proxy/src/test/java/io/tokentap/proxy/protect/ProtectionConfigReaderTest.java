package io.tokentap.proxy.protect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokentap.proxy.config.ConfigException;
import io.tokentap.proxy.config.ConfigLoader;
import io.tokentap.proxy.config.ConfigNode;
import io.tokentap.proxy.config.ProxyConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ProtectionConfigReaderTest {

    private static ProtectionConfig read(String yaml) {
        ConfigNode root = ConfigLoader.parse(yaml, "proxy.yaml");
        return ProtectionConfigReader.from(root.section("protection"));
    }

    @Test
    void everySettingIsRead() {
        ProtectionConfig c = read("""
                protection:
                  maxRequestBodyBytes: 1MiB
                  injectUsage: false
                  tenants: { header: X-Tenant-Id }
                  limits: { perTenant: true, requestsPerMinute: 600, tokensPerMinute: 200_000,
                            concurrentStreamsPerTenant: 8, maxStreamsInFlight: 5000, maxTenants: 1000,
                            tenantIdleExpiry: 2m }
                  tokens: { encoding: cl100k_base, defaultOutputTokens: 512, maxExactChars: 1000, perMessageTokens: 3 }
                  shedding: { enabled: true, kvCacheOn: 0.9, kvCacheOff: 0.8, queueOn: 32, queueOff: 8, retryAfter: 2s }
                  retry: { maxRetries: 3, initialBackoff: 100ms, maxBackoff: 1s, multiplier: 3, budget: 4s,
                           retryStatuses: [429, 503], nonRetryableRoutes: [/v1/responses] }
                  breaker: { enabled: false, failureRateThreshold: 25, slidingWindowSize: 10, minimumCalls: 5,
                             waitInOpen: 20s, probesInHalfOpen: 2 }
                  timeouts: { connect: 1s, firstByte: 30s, idle: 15s, total: 5m }
                """);
        assertThat(c.maxRequestBodyBytes()).isEqualTo(1 << 20);
        assertThat(c.injectUsage()).isFalse();
        assertThat(ProtectionConfig.defaults().injectUsage()).isTrue();
        assertThat(c.tenants().header()).isEqualTo("x-tenant-id");
        assertThat(c.limits()).isEqualTo(new ProtectionConfig.Limits(true, 600, 200_000, 8, 5000, 1000,
                Duration.ofMinutes(2)));
        assertThat(c.tokens()).isEqualTo(new ProtectionConfig.Tokens("cl100k_base", 512, 1000, 3));
        assertThat(c.shedding()).isEqualTo(new ProtectionConfig.Shedding(true, 0.9, 0.8, 32, 8,
                Duration.ofSeconds(2)));
        assertThat(c.retry().maxRetries()).isEqualTo(3);
        assertThat(c.retry().multiplier()).isEqualTo(3.0);
        assertThat(c.retry().retryStatuses()).containsExactlyInAnyOrder(429, 503);
        assertThat(c.retry().nonRetryableRoutes()).isEqualTo(List.of("/v1/responses"));
        assertThat(c.breaker()).isEqualTo(new ProtectionConfig.Breaker(false, 25, 10, 5, Duration.ofSeconds(20), 2));
        assertThat(c.timeouts()).isEqualTo(new ProtectionConfig.Timeouts(Duration.ofSeconds(1),
                Duration.ofSeconds(30), Duration.ofSeconds(15), Duration.ofMinutes(5)));
    }

    @Test
    void theExampleFileSaysTheDefaults() throws Exception {
        java.nio.file.Path file = java.nio.file.Path.of("../config/proxy.yaml");
        ConfigNode root = ConfigLoader.load(file);
        assertThat(ProxyConfig.from(root).protection()).isEqualTo(ProtectionConfig.defaults());
    }

    @Test
    void anAbsentSectionIsTheDefaults() {
        assertThat(read("server: { listen: 127.0.0.1:0 }\n")).isEqualTo(ProtectionConfig.defaults());
    }

    @Test
    void errorsNameTheSettingAndWhatWasExpected() {
        assertThatThrownBy(() -> read("protection:\n  limits: { requestsPerMinute: -1 }\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("protection.limits.requestsPerMinute: -1 (expected: > 0)");
        assertThatThrownBy(() -> read("protection:\n  shedding: { kvCacheOn: lots }\n"))
                .hasMessageContaining("protection.shedding.kvCacheOn: 'lots' (expected: a number)");
        assertThatThrownBy(() -> read("protection:\n  retry: { retries: 3 }\n"))
                .hasMessageContaining("protection.retry.retries: unknown setting");
        assertThatThrownBy(() -> read("protection:\n  limitz: {}\n"))
                .hasMessageContaining("protection.limitz: unknown setting");
    }

    @Test
    void theProxyConfigurationCarriesIt() {
        ConfigNode root = ConfigLoader.parse("""
                upstream: { url: "http://127.0.0.1:8000" }
                protection: { retry: { maxRetries: 0 } }
                """, "proxy.yaml");
        ProxyConfig config = ProxyConfig.from(root);
        assertThat(config.protection().retry().maxRetries()).isZero();
        assertThat(ProxyConfig.forUpstream("http://127.0.0.1:1").protection()).isEqualTo(ProtectionConfig.defaults());
    }
}
