package io.tokentap.proxy.protect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ProtectionConfigTest {

    @Test
    void defaultsAreValidAndRetryByDefault() {
        ProtectionConfig c = ProtectionConfig.defaults();
        assertThat(c.retry().maxRetries()).isEqualTo(2);
        assertThat(c.retry().budget()).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(10));
        assertThat(c.retry().retryStatuses()).containsExactlyInAnyOrder(429, 503, 529);
        assertThat(c.breaker().enabled()).isTrue();
        assertThat(c.limits().maxStreamsInFlight()).isPositive();
        assertThat(c.tenants().header()).isNull();
    }

    @Test
    void limitsNameTheFieldAndTheExpectation() {
        assertThatThrownBy(() -> new ProtectionConfig.Limits(true, -1, 1, 1, 1, 1, Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("limits.requestsPerMinute: -1 (expected: > 0)");
        assertThatThrownBy(() -> new ProtectionConfig.Limits(true, 1, 0, 1, 1, 1, Duration.ofMinutes(1)))
                .hasMessage("limits.tokensPerMinute: 0 (expected: > 0)");
        assertThatThrownBy(() -> new ProtectionConfig.Limits(true, 1, 1, 1, 1, 1, Duration.ZERO))
                .hasMessage("limits.tenantIdleExpiry: PT0S (expected: > 0)");
    }

    @Test
    void sheddingNeedsHysteresis() {
        assertThatThrownBy(() -> new ProtectionConfig.Shedding(true, 0.9, 0.9, 10, 5, Duration.ofSeconds(1)))
                .hasMessage("shedding.kvCacheOff: 0.9 (expected: >= 0 and < kvCacheOn 0.9)");
        assertThatThrownBy(() -> new ProtectionConfig.Shedding(true, 1.5, 0.9, 10, 5, Duration.ofSeconds(1)))
                .hasMessage("shedding.kvCacheOn: 1.5 (expected: > 0 and <= 1)");
        assertThatThrownBy(() -> new ProtectionConfig.Shedding(true, 0.9, 0.8, 10, 10, Duration.ofSeconds(1)))
                .hasMessage("shedding.queueOff: 10 (expected: >= 0 and < queueOn 10)");
    }

    @Test
    void retryRejectsACapBelowTheFirstBackoffAndBadStatuses() {
        assertThatThrownBy(() -> new ProtectionConfig.Retry(2, Duration.ofSeconds(2), Duration.ofSeconds(1), 2,
                Duration.ofSeconds(5), Set.of(429), List.of()))
                .hasMessage("retry.maxBackoff: PT1S (expected: >= initialBackoff PT2S)");
        assertThatThrownBy(() -> new ProtectionConfig.Retry(2, Duration.ofMillis(1), Duration.ofSeconds(1), 2,
                Duration.ofSeconds(5), Set.of(200), List.of()))
                .hasMessage("retry.retryStatuses: 200 (expected: 400..599)");
        assertThatThrownBy(() -> new ProtectionConfig.Retry(-1, Duration.ofMillis(1), Duration.ofSeconds(1), 2,
                Duration.ofSeconds(5), Set.of(429), List.of()))
                .hasMessage("retry.maxRetries: -1 (expected: >= 0)");
        assertThatThrownBy(() -> new ProtectionConfig.Retry(1, Duration.ofMillis(1), Duration.ofSeconds(1), 2,
                Duration.ofSeconds(5), Set.of(429), List.of("v1/x")))
                .hasMessage("retry.nonRetryableRoutes: 'v1/x' (expected: a path starting with /)");
    }

    @Test
    void timeoutsMustFitTheTotal() {
        assertThatThrownBy(() -> new ProtectionConfig.Timeouts(Duration.ofSeconds(20), Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofSeconds(10)))
                .hasMessage("timeouts.connect: PT20S (expected: <= total PT10S)");
        assertThatThrownBy(() -> new ProtectionConfig.Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofSeconds(-1), Duration.ofSeconds(10)))
                .hasMessage("timeouts.idle: PT-1S (expected: > 0)");
        ProtectionConfig.Timeouts t = ProtectionConfig.Timeouts.defaults();
        assertThat(TimeoutKind.IDLE.of(t)).isEqualTo(t.idle());
        assertThat(TimeoutKind.CONNECT.errorType()).isEqualTo("connect_timeout");
        assertThat(TimeoutKind.FIRST_BYTE.errorType()).isEqualTo("first_byte_timeout");
    }

    @Test
    void tokensAndTenantsAndBreakerAreChecked() {
        assertThatThrownBy(() -> new ProtectionConfig.Tokens("gpt2", 1, 1, 0))
                .hasMessageStartingWith("tokens.encoding: gpt2 (expected: one of [cl100k_base");
        assertThatThrownBy(() -> new ProtectionConfig.Tenants("x tenant"))
                .hasMessage("tenants.header: 'x tenant' (expected: an HTTP header name, or null for the API key)");
        assertThat(new ProtectionConfig.Tenants(" X-Tenant-Id ").header()).isEqualTo("x-tenant-id");
        assertThatThrownBy(() -> new ProtectionConfig.Breaker(true, 0, 10, 5, Duration.ofSeconds(1), 1))
                .hasMessage("breaker.failureRateThreshold: 0.0 (expected: > 0 and <= 100)");
    }
}
