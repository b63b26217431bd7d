package io.tokentap.proxy.protect.limit;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokentap.proxy.protect.ProtectionConfig;
import io.tokentap.proxy.protect.RejectReason;
import io.tokentap.proxy.protect.Rejection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AdmissionControllerTest {

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    private AdmissionController controller(long rpm, long tpm, int perTenantStreams, int maxStreams, int maxTenants) {
        return new AdmissionController(new ProtectionConfig.Limits(true, rpm, tpm, perTenantStreams, maxStreams,
                maxTenants, Duration.ofMinutes(10)), clock::get, Runnable::run);
    }

    private static Admission admit(AdmissionController c, String tenant, long tokens) {
        return c.tryAdmit(tenant, tokens, t -> t);
    }

    @Test
    void requestsPerMinuteRejectWithTheTimeUntilASlotFrees() {
        AdmissionController c = controller(3, 1_000_000, 10, 100, 100);
        for (int i = 0; i < 3; i++) {
            Admission a = admit(c, "t", 10);
            assertThat(a.admitted()).isTrue();
            assertThat(a.ticket().status().remainingRequests()).isEqualTo(2 - i);
            a.ticket().release(10);
        }
        Admission rejected = admit(c, "t", 10);
        assertThat(rejected.admitted()).isFalse();
        Rejection r = rejected.rejection();
        assertThat(r.reason()).isEqualTo(RejectReason.RATE);
        assertThat(r.status()).isEqualTo(429);
        assertThat(r.type()).isEqualTo("requests");
        assertThat(r.code()).isEqualTo("rate_limit_exceeded");
        assertThat(r.retryAfterMillis()).isEqualTo(20_000);
        assertThat(r.limits().limitRequests()).isEqualTo(3);
        assertThat(r.limits().remainingRequests()).isZero();
        assertThat(r.limits().resetRequestsNanos()).isEqualTo(TimeUnit.SECONDS.toNanos(60));
        assertThat(r.message()).contains("requests per min (RPM): Limit 3, Used 3, Requested 1");
        assertThat(c.inFlight()).isZero();

        clock.addAndGet(TimeUnit.SECONDS.toNanos(20) - 1);
        assertThat(admit(c, "t", 10).admitted()).isFalse();
        clock.addAndGet(1);
        assertThat(admit(c, "t", 10).admitted()).isTrue();
    }

    @Test
    void tenantsHaveTheirOwnLimits() {
        AdmissionController c = controller(1, 1_000_000, 10, 100, 100);
        assertThat(admit(c, "a", 1).admitted()).isTrue();
        assertThat(admit(c, "a", 1).admitted()).isFalse();
        assertThat(admit(c, "b", 1).admitted()).isTrue();
    }

    @Test
    void tokensPerMinuteRejectAndGiveBackTheRequestSlot() {
        AdmissionController c = controller(100, 1000, 10, 100, 100);
        assertThat(admit(c, "t", 400).admitted()).isTrue();
        assertThat(admit(c, "t", 400).admitted()).isTrue();
        Admission a = admit(c, "t", 400);
        assertThat(a.admitted()).isFalse();
        assertThat(a.rejection().reason()).isEqualTo(RejectReason.TOKENS);
        assertThat(a.rejection().type()).isEqualTo("tokens");
        assertThat(a.rejection().limits().remainingTokens()).isEqualTo(200);
        // 200 tokens more must replenish: 12 s at 1000 tokens per minute.
        assertThat(a.rejection().retryAfterMillis()).isEqualTo(12_000);
        assertThat(a.rejection().limits().remainingRequests()).isEqualTo(98);
    }

    @Test
    void aRequestLargerThanTheLimitIsTooLargeNotLate() {
        AdmissionController c = controller(100, 1000, 10, 100, 100);
        Admission a = admit(c, "t", 5000);
        assertThat(a.rejection().reason()).isEqualTo(RejectReason.TOKENS);
        assertThat(a.rejection().message()).startsWith("Request too large").contains("Limit 1000, Requested 5000");
        assertThat(a.rejection().retryAfterMillis()).isEqualTo(60_000);
    }

    @Test
    void theEstimateIsReconciledWithTheRealUsage() {
        AdmissionController c = controller(100, 1000, 10, 100, 100);
        Admission first = admit(c, "t", 900);
        assertThat(admit(c, "t", 800).admitted()).isFalse();
        first.ticket().release(100); // the response used far less than max_tokens allowed
        assertThat(c.status("t").remainingTokens()).isEqualTo(900);
        Admission second = admit(c, "t", 800);
        assertThat(second.admitted()).isTrue();
        second.ticket().release(2000); // and this one far more: the tenant is in debt
        assertThat(c.status("t").remainingTokens()).isZero();
        Admission third = admit(c, "t", 1);
        assertThat(third.admitted()).isFalse();
        // 100 + 2000 used in a 1000/min budget: 66 s until a single token fits again.
        assertThat(third.rejection().retryAfterMillis()).isBetween(66_000L, 66_100L);
    }

    @Test
    void aRefundNeverGivesMoreThanAFullMinute() {
        AdmissionController c = controller(100, 1000, 10, 100, 100);
        Admission a = admit(c, "t", 1000);
        clock.addAndGet(TimeUnit.MINUTES.toNanos(5));
        a.ticket().release(0);
        assertThat(c.status("t").remainingTokens()).isEqualTo(1000);
        assertThat(admit(c, "t", 1001).admitted()).isFalse();
    }

    @Test
    void unknownUsageKeepsTheEstimateAndReleaseIsIdempotent() {
        AdmissionController c = controller(100, 1000, 10, 100, 100);
        Ticket t = admit(c, "t", 600).ticket();
        t.release(-1);
        t.release(0);
        assertThat(t.released()).isTrue();
        assertThat(c.status("t").remainingTokens()).isEqualTo(400);
        assertThat(c.inFlight()).isZero();
    }

    @Test
    void concurrentStreamsPerTenantAreCapped() {
        AdmissionController c = controller(100, 100_000, 2, 100, 100);
        Ticket one = admit(c, "t", 1).ticket();
        admit(c, "t", 1).ticket();
        Admission third = admit(c, "t", 1);
        assertThat(third.rejection().reason()).isEqualTo(RejectReason.CONCURRENCY);
        assertThat(third.rejection().status()).isEqualTo(429);
        assertThat(admit(c, "other", 1).admitted()).isTrue();
        one.release(1);
        assertThat(admit(c, "t", 1).admitted()).isTrue();
        assertThat(c.inFlight()).isEqualTo(3);
    }

    @Test
    void theGlobalCapHoldsEvenWithoutTenantLimits() {
        AdmissionController c = new AdmissionController(new ProtectionConfig.Limits(false, 1, 1, 1, 2, 10,
                Duration.ofMinutes(1)), clock::get, Runnable::run);
        Ticket a = c.tryAdmit("x", 0L, t -> t).ticket();
        c.tryAdmit("x", 0L, t -> t).ticket();
        Admission full = c.tryAdmit("y", 0L, t -> t);
        assertThat(full.rejection().status()).isEqualTo(503);
        assertThat(full.rejection().reason()).isEqualTo(RejectReason.CONCURRENCY);
        a.release(5);
        assertThat(c.tryAdmit("y", 0L, t -> t).admitted()).isTrue();
        assertThat(c.trackedTenants()).isZero();
    }

    @Test
    void aRefusalIsTheRejectionTryAdmitGivesAndTakesNothing() {
        AdmissionController c = controller(2, 1_000_000, 1, 3, 100);
        assertThat(c.refusal(() -> "t")).as("an untracked tenant passes").isNull();
        admit(c, "t", 10).ticket().release(10);
        assertThat(c.refusal(() -> "t")).isNull();
        Ticket held = admit(c, "t", 10).ticket();
        // Its one stream is in use: the same concurrency rejection as tryAdmit's.
        Rejection refused = c.refusal(() -> "t");
        Rejection rejected = admit(c, "t", 10).rejection();
        assertThat(refused).isEqualTo(rejected);
        assertThat(refused.reason()).isEqualTo(RejectReason.CONCURRENCY);
        held.release(10);
        // Both requests of the minute are spent: the same rate rejection, retry time and limits included.
        clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
        refused = c.refusal(() -> "t");
        rejected = admit(c, "t", 10).rejection();
        assertThat(refused).isEqualTo(rejected);
        assertThat(refused.reason()).isEqualTo(RejectReason.RATE);
        assertThat(refused.message()).contains("Limit 2, Used 2, Requested 1");
        // Asking took nothing: no slot, no request of the minute.
        for (int i = 0; i < 100; i++) {
            c.refusal(() -> "t");
        }
        assertThat(c.inFlight()).isZero();
        clock.addAndGet(TimeUnit.SECONDS.toNanos(29));
        assertThat(c.refusal(() -> "t")).isNull();
        assertThat(admit(c, "t", 10).admitted()).isTrue();
        // The proxy's cap: three streams in flight refuse every tenant, tracked or not.
        admit(c, "a", 1);
        admit(c, "b", 1);
        assertThat(c.refusal(() -> "new")).isEqualTo(admit(c, "new", 1).rejection());
        assertThat(c.refusal(() -> "new").status()).isEqualTo(503);
        assertThat(c.inFlight()).isEqualTo(3);
    }

    @Test
    void cheapChecksComeBeforeTokenisation() {
        AdmissionController c = controller(1, 1000, 10, 100, 100);
        AtomicInteger estimated = new AtomicInteger();
        c.tryAdmit("t", 1L, t -> estimated.incrementAndGet());
        for (int i = 0; i < 100; i++) {
            assertThat(c.tryAdmit("t", 1L, t -> estimated.incrementAndGet()).admitted()).isFalse();
        }
        assertThat(estimated).hasValue(1);
    }

    @Test
    void aMillionDistinctKeysStayWithinTheBoundAndDoNotEvictAHotTenant() {
        int maxTenants = 10_000;
        AdmissionController c = controller(1_000_000, 1_000_000_000L, 1, 2_000_000, maxTenants);
        Ticket hot = admit(c, "hot", 1).ticket(); // holds the hot tenant's only stream slot
        for (int i = 0; i < 1_000_000; i++) {
            admit(c, "key-" + i, 1).ticket().release(1);
            if (i % 1000 == 0) {
                // The hot tenant keeps coming back; its state must survive the flood.
                assertThat(admit(c, "hot", 1).rejection().reason()).isEqualTo(RejectReason.CONCURRENCY);
            }
        }
        assertThat(c.trackedTenants()).isLessThanOrEqualTo(maxTenants);
        assertThat(admit(c, "hot", 1).rejection().reason()).isEqualTo(RejectReason.CONCURRENCY);
        hot.release(1);
        assertThat(admit(c, "hot", 1).admitted()).isTrue();
    }

    @Test
    void idleTenantsExpire() {
        AdmissionController c = controller(10, 1000, 10, 100, 100);
        admit(c, "a", 1).ticket().release(1);
        admit(c, "b", 1).ticket().release(1);
        assertThat(c.trackedTenants()).isEqualTo(2);
        clock.addAndGet(TimeUnit.MINUTES.toNanos(11));
        assertThat(c.trackedTenants()).isZero();
    }

    @Test
    void concurrentAdmissionsNeverExceedTheLimits() throws Exception {
        AdmissionController c = new AdmissionController(new ProtectionConfig.Limits(true, 1000, 1_000_000_000L, 3,
                1000, 100, Duration.ofMinutes(10)), clock::get, Runnable::run); // a frozen clock: no refill
        int threads = 4;
        AtomicInteger admitted = new AtomicInteger();
        AtomicInteger maxSeen = new AtomicInteger();
        AtomicInteger live = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(threads);
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> {
                for (int j = 0; j < 2000; j++) {
                    Admission a = c.tryAdmit("t", 1L, x -> x);
                    if (a.admitted()) {
                        admitted.incrementAndGet();
                        maxSeen.accumulateAndGet(live.incrementAndGet(), Math::max);
                        live.decrementAndGet();
                        a.ticket().release(1);
                    }
                }
                done.countDown();
            });
            ts.add(t);
            t.start();
        }
        assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
        // Exactly a minute's requests, never more than 3 streams at once, and every slot given back.
        assertThat(admitted.get()).isEqualTo(1000);
        assertThat(maxSeen.get()).isLessThanOrEqualTo(3);
        assertThat(c.inFlight()).isZero();
    }
}
