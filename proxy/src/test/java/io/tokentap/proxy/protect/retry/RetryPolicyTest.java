package io.tokentap.proxy.protect.retry;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.tokentap.proxy.protect.ProtectionConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RetryPolicyTest {

    private static final long MS = 1_000_000;

    private static ProtectionConfig.Retry config(int retries, long budgetMillis, List<String> notRetryable) {
        return new ProtectionConfig.Retry(retries, Duration.ofMillis(100), Duration.ofSeconds(1), 2.0,
                Duration.ofMillis(budgetMillis), Set.of(429, 503, 529), notRetryable);
    }

    private static List<Long> schedule(RetryPolicy policy) {
        RetryState s = policy.start("/v1/chat/completions", 0);
        List<Long> delays = new ArrayList<>();
        for (;;) {
            RetryDecision d = s.onFailure(0, RetryTrigger.STATUS, 503, -1, false);
            if (!d.retry()) {
                assertThat(d.giveUp()).isEqualTo(RetryDecision.GiveUp.ATTEMPTS);
                return delays;
            }
            delays.add(d.delayNanos());
        }
    }

    @Test
    void theScheduleFromASeededRandomIsFullJitterOverACappedExponential() {
        RetryPolicy policy = new RetryPolicy(config(5, 60_000, List.of()), new Random(42));
        // new Random(42).nextDouble(): 0.72756368, 0.68322347, 0.30871946, 0.27707849, 0.66554895
        // caps: 100, 200, 400, 800, then 1000 ms (capped before jitter)
        assertThat(schedule(policy)).containsExactly(72_756_368L, 136_644_694L, 123_487_782L, 221_662_792L,
                665_548_951L);
        assertThat(policy.capNanos(1)).isEqualTo(100 * MS);
        assertThat(policy.capNanos(4)).isEqualTo(800 * MS);
        assertThat(policy.capNanos(5)).isEqualTo(1000 * MS);
        assertThat(policy.capNanos(60)).isEqualTo(1000 * MS);
    }

    @Test
    void theSameSeedGivesTheSameScheduleAndJitterSurvivesAtTheCap() {
        assertThat(schedule(new RetryPolicy(config(5, 60_000, List.of()), new Random(7))))
                .isEqualTo(schedule(new RetryPolicy(config(5, 60_000, List.of()), new Random(7))));
        RetryPolicy policy = new RetryPolicy(config(5, 60_000, List.of()), new Random(1));
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 2000; i++) {
            long d = policy.backoffNanos(10); // far past the cap
            assertThat(d).isBetween(0L, 1000 * MS);
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        assertThat(min).isLessThan(100 * MS);
        assertThat(max).isGreaterThan(900 * MS);
    }

    @Test
    void retryAfterIsAFloorOnTheDelay() {
        RetryPolicy policy = new RetryPolicy(config(2, 60_000, List.of()), new Random(42));
        RetryState s = policy.start("/v1/completions", 0);
        RetryDecision d = s.onFailure(0, RetryTrigger.STATUS, 429, 2_000 * MS, false);
        assertThat(d.retry()).isTrue();
        assertThat(d.delayNanos()).isEqualTo(2_000 * MS);
        assertThat(s.backoffNanos()).isEqualTo(2_000 * MS);
        assertThat(s.attempts()).isEqualTo(2);
    }

    @Test
    void theBudgetStopsRetriesIncludingALongRetryAfter() {
        RetryPolicy policy = new RetryPolicy(config(5, 1000, List.of()), new Random(42));
        RetryState s = policy.start("/v1/completions", 0);
        assertThat(s.onFailure(0, RetryTrigger.STATUS, 429, 5_000 * MS, false).giveUp())
                .isEqualTo(RetryDecision.GiveUp.BUDGET);
        assertThat(s.onFailure(990 * MS, RetryTrigger.RESET, 0, -1, false).giveUp())
                .isEqualTo(RetryDecision.GiveUp.BUDGET); // 72 ms of backoff would end past 1 s
        assertThat(s.onFailure(100 * MS, RetryTrigger.CONNECT_FAILURE, 0, -1, false).retry()).isTrue();
        assertThat(s.retries()).isEqualTo(1);
    }

    @Test
    void nothingIsRetriedOnceTheResponseStartedOrForOtherStatuses() {
        RetryPolicy policy = new RetryPolicy(config(2, 5000, List.of()), new Random(42));
        RetryState s = policy.start("/v1/chat/completions", 0);
        assertThat(s.onFailure(0, RetryTrigger.RESET, 0, -1, true).giveUp())
                .isEqualTo(RetryDecision.GiveUp.RESPONSE_STARTED);
        assertThat(s.onFailure(0, RetryTrigger.STATUS, 500, -1, false).giveUp())
                .isEqualTo(RetryDecision.GiveUp.NOT_A_TRIGGER);
        assertThat(s.onFailure(0, RetryTrigger.STATUS, 400, -1, false).giveUp())
                .isEqualTo(RetryDecision.GiveUp.NOT_A_TRIGGER);
        assertThat(s.onFailure(0, RetryTrigger.STATUS, 529, -1, false).retry()).isTrue();
        assertThat(s.onFailure(0, RetryTrigger.STATUS, 429, -1, false).retry()).isTrue();
        assertThat(s.onFailure(0, RetryTrigger.STATUS, 429, -1, false).giveUp())
                .isEqualTo(RetryDecision.GiveUp.ATTEMPTS);
    }

    @Test
    void routesMarkedNotRetryableAreNeverRetried() {
        RetryPolicy policy = new RetryPolicy(config(2, 5000, List.of("/v1/responses", "/admin/*")), new Random(1));
        assertThat(policy.routeRetryable("/v1/chat/completions")).isTrue();
        assertThat(policy.routeRetryable("/v1/responses")).isFalse();
        assertThat(policy.routeRetryable("/v1/responses/x")).isTrue();
        assertThat(policy.routeRetryable("/admin/anything")).isFalse();
        assertThat(policy.start("/v1/responses", 0).onFailure(0, RetryTrigger.RESET, 0, -1, false).giveUp())
                .isEqualTo(RetryDecision.GiveUp.ROUTE_NOT_RETRYABLE);
        RetryPolicy off = new RetryPolicy(config(0, 5000, List.of()), new Random(1));
        assertThat(off.start("/v1/chat/completions", 0).onFailure(0, RetryTrigger.RESET, 0, -1, false).retry())
                .isFalse();
    }

    @Test
    void defaultsRetryTwiceWithinAFewSeconds() {
        RetryPolicy policy = new RetryPolicy(ProtectionConfig.Retry.defaults(), new Random(3));
        RetryState s = policy.start("/v1/chat/completions", 0);
        assertThat(s.onFailure(0, RetryTrigger.STATUS, 429, -1, false).retry()).isTrue();
        assertThat(s.onFailure(0, RetryTrigger.STATUS, 503, -1, false).retry()).isTrue();
        assertThat(s.onFailure(0, RetryTrigger.STATUS, 503, -1, false).retry()).isFalse();
    }

    @Test
    void retryAfterHeadersAreRead() {
        long now = 1_700_000_000_000L;
        assertThat(RetryPolicy.retryAfterNanos(headers("retry-after-ms", "1500.5"), now)).isEqualTo(1_500_500_000L);
        HttpHeaders both = headers("retry-after-ms", "250");
        both.add("retry-after", "3");
        assertThat(RetryPolicy.retryAfterNanos(both, now)).isEqualTo(250 * MS);
        assertThat(RetryPolicy.retryAfterNanos(headers("Retry-After", "3"), now)).isEqualTo(3_000 * MS);
        String date = DateFormatter.format(new Date(now + 5_000));
        assertThat(RetryPolicy.retryAfterNanos(headers("Retry-After", date), now)).isEqualTo(5_000 * MS);
        assertThat(RetryPolicy.retryAfterNanos(headers("Retry-After", "soon"), now)).isEqualTo(-1);
        assertThat(RetryPolicy.retryAfterNanos(headers("retry-after-ms", "-5"), now)).isEqualTo(-1);
        assertThat(RetryPolicy.retryAfterNanos(new DefaultHttpHeaders(), now)).isEqualTo(-1);
    }

    private static HttpHeaders headers(String name, String value) {
        return new DefaultHttpHeaders().add(name, value);
    }
}
