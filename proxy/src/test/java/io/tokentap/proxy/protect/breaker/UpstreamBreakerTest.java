package io.tokentap.proxy.protect.breaker;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.tokentap.proxy.admin.ReadinessCheck;
import io.tokentap.proxy.protect.ProtectionConfig;
import io.tokentap.proxy.protect.RejectReason;
import io.tokentap.proxy.protect.Rejection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class UpstreamBreakerTest {

    private static final ProtectionConfig.Breaker CONFIG =
            new ProtectionConfig.Breaker(true, 50, 10, 4, Duration.ofSeconds(5), 2);

    private final AtomicLong clock = new AtomicLong(TimeUnit.HOURS.toNanos(1));
    private final List<String> transitions = new ArrayList<>();
    private final UpstreamBreaker breaker = new UpstreamBreaker("127.0.0.1:8000", CONFIG, clock::get,
            (upstream, from, to) -> transitions.add(upstream + " " + from + "->" + to));

    private void fail() {
        assertThat(breaker.tryAcquire()).isTrue();
        breaker.onFailure(1_000_000, UpstreamFailure.STATUS_5XX);
    }

    private void succeed() {
        assertThat(breaker.tryAcquire()).isTrue();
        breaker.onSuccess(1_000_000);
    }

    @Test
    void opensOnTheFailureRateFailsFastAndIsNotReady() {
        succeed();
        succeed();
        fail();
        assertThat(breaker.state()).isEqualTo(State.CLOSED); // 3 calls, below the minimum of 4
        fail(); // 2 of 4 failed: 50 %
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(breaker.ready()).isFalse();
        assertThat(breaker.tryAcquire()).isFalse();
        Rejection r = breaker.rejection();
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.reason()).isEqualTo(RejectReason.CIRCUIT_OPEN);
        assertThat(r.retryAfterMillis()).isEqualTo(5000);
        assertThat(transitions).containsExactly("127.0.0.1:8000 CLOSED->OPEN");
    }

    @Test
    void halfOpensAfterTheWaitAndClosesWhenProbesSucceed() {
        for (int i = 0; i < 4; i++) {
            fail();
        }
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        clock.addAndGet(TimeUnit.SECONDS.toNanos(4));
        assertThat(breaker.tryAcquire()).isFalse();
        clock.addAndGet(TimeUnit.SECONDS.toNanos(2));
        assertThat(breaker.tryAcquire()).isTrue(); // first probe
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.ready()).isTrue();
        assertThat(breaker.tryAcquire()).isTrue(); // second probe
        assertThat(breaker.tryAcquire()).isFalse(); // only two probes while half-open
        breaker.onSuccess(1);
        breaker.onSuccess(1);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(transitions).containsExactly("127.0.0.1:8000 CLOSED->OPEN", "127.0.0.1:8000 OPEN->HALF_OPEN",
                "127.0.0.1:8000 HALF_OPEN->CLOSED");
    }

    @Test
    void readyzSaysNotReadyWhileOpen() {
        ReadinessCheck readyz = ReadinessCheck.circuitNotOpen(() -> !breaker.ready());
        assertThat(readyz.check().ready()).isTrue();
        for (int i = 0; i < 4; i++) {
            fail();
        }
        assertThat(readyz.check().ready()).isFalse();
        assertThat(readyz.check().reason()).isEqualTo("circuit open");
        clock.addAndGet(TimeUnit.SECONDS.toNanos(6));
        assertThat(breaker.tryAcquire()).isTrue(); // half-open: probes may come, so traffic may come
        assertThat(readyz.check().ready()).isTrue();
    }

    @Test
    void aFailedProbeReopens() {
        for (int i = 0; i < 4; i++) {
            fail();
        }
        clock.addAndGet(TimeUnit.SECONDS.toNanos(6));
        assertThat(breaker.tryAcquire()).isTrue();
        breaker.onFailure(1, UpstreamFailure.CONNECT);
        assertThat(breaker.tryAcquire()).isTrue();
        breaker.onFailure(1, UpstreamFailure.TIMEOUT);
        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    @Test
    void aReleasedPermissionFreesAProbeSlot() {
        for (int i = 0; i < 4; i++) {
            fail();
        }
        clock.addAndGet(TimeUnit.SECONDS.toNanos(6));
        assertThat(breaker.tryAcquire()).isTrue();
        assertThat(breaker.tryAcquire()).isTrue();
        assertThat(breaker.tryAcquire()).isFalse();
        breaker.release(); // the client left before the upstream answered
        assertThat(breaker.tryAcquire()).isTrue();
    }

    @Test
    void successesKeepItClosedAndOnly5xxCount() {
        for (int i = 0; i < 20; i++) {
            succeed();
        }
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.failureRate()).isZero();
        assertThat(UpstreamFailure.isFailureStatus(429, false)).isFalse();
        assertThat(UpstreamFailure.isFailureStatus(429, true)).isFalse();
        assertThat(UpstreamFailure.isFailureStatus(500, true)).isTrue();
        assertThat(UpstreamFailure.isFailureStatus(503, false)).isTrue();
        assertThat(UpstreamFailure.isFailureStatus(529, false)).isTrue();
        // An overloaded server that says when to come back is shedding load, not failing.
        assertThat(UpstreamFailure.isFailureStatus(503, true)).isFalse();
        assertThat(UpstreamFailure.isFailureStatus(529, true)).isFalse();
    }

    @Test
    void aDisabledBreakerNeverOpens() {
        UpstreamBreaker off = new UpstreamBreaker("u", new ProtectionConfig.Breaker(false, 50, 10, 4,
                Duration.ofSeconds(5), 2), clock::get, UpstreamBreaker.Listener.NONE);
        for (int i = 0; i < 20; i++) {
            assertThat(off.tryAcquire()).isTrue();
            off.onFailure(1, UpstreamFailure.RESET);
        }
        assertThat(off.ready()).isTrue();
    }
}
