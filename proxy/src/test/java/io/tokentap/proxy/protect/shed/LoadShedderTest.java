package io.tokentap.proxy.protect.shed;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokentap.proxy.protect.ProtectionConfig;
import io.tokentap.proxy.protect.RejectReason;
import io.tokentap.proxy.protect.Rejection;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class LoadShedderTest {

    private static final ProtectionConfig.Shedding ON =
            new ProtectionConfig.Shedding(true, 0.90, 0.80, 10, 4, Duration.ofMillis(1500));

    /** Signals a test sets by hand. */
    private static final class Fake implements UpstreamSignals {
        double kv = Double.NaN;
        long waiting = -1;

        @Override
        public double kvCacheUsage() {
            return kv;
        }

        @Override
        public long waitingRequests() {
            return waiting;
        }
    }

    private final Fake signals = new Fake();
    private final LoadShedder shedder = new LoadShedder(ON, signals);

    @Test
    void kvCacheUsageShedsWithHysteresis() {
        signals.kv = 0.89;
        assertThat(shedder.shouldShed()).isFalse();
        signals.kv = 0.90;
        assertThat(shedder.shouldShed()).isTrue();
        signals.kv = 0.85; // between off and on: stays on
        assertThat(shedder.shouldShed()).isTrue();
        signals.kv = 0.80; // at the off threshold: still on
        assertThat(shedder.shouldShed()).isTrue();
        signals.kv = 0.79;
        assertThat(shedder.shouldShed()).isFalse();
        signals.kv = 0.85; // between again, from below: stays off
        assertThat(shedder.shouldShed()).isFalse();
        assertThat(shedder.transitions()).isEqualTo(2);
    }

    @Test
    void theQueueShedsTooAndBothMustFallBeforeItStops() {
        signals.kv = 0.5;
        signals.waiting = 10;
        assertThat(shedder.shouldShed()).isTrue();
        signals.waiting = 3;
        signals.kv = 0.85; // queue is low, but the KV cache is still above its off threshold
        assertThat(shedder.shouldShed()).isTrue();
        signals.kv = 0.1;
        assertThat(shedder.shouldShed()).isFalse();
    }

    @Test
    void unknownSignalsFailOpen() {
        signals.kv = 0.99;
        assertThat(shedder.shouldShed()).isTrue();
        signals.kv = Double.NaN;
        signals.waiting = -1;
        assertThat(shedder.shouldShed()).isFalse();
        assertThat(new LoadShedder(ON, UpstreamSignals.NONE).shouldShed()).isFalse();
    }

    @Test
    void disabledNeverSheds() {
        signals.kv = 1.0;
        signals.waiting = 1000;
        LoadShedder off = new LoadShedder(ProtectionConfig.Shedding.defaults(), signals);
        assertThat(off.shouldShed()).isFalse();
    }

    @Test
    void theRejectionIsA503WithRetryAfter() {
        Rejection r = shedder.rejection();
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.reason()).isEqualTo(RejectReason.SHED);
        assertThat(r.retryAfterMillis()).isEqualTo(1500);
    }
}
