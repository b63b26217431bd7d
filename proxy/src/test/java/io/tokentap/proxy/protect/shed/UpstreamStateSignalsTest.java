package io.tokentap.proxy.protect.shed;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokentap.proxy.upstream.UpstreamFigures;
import io.tokentap.proxy.upstream.UpstreamState;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class UpstreamStateSignalsTest {

    private static UpstreamState of(UpstreamFigures f) {
        return new UpstreamState() {
            @Override
            public UpstreamFigures current() {
                return f;
            }

            @Override
            public boolean reachable() {
                return true;
            }

            @Override
            public Duration age() {
                return Duration.ZERO;
            }
        };
    }

    @Test
    void readsKvCacheAndQueueFromTheScraper() {
        UpstreamSignals s = new UpstreamStateSignals(of(new UpstreamFigures("vllm", 0.93, 12, 7, 0, Double.NaN,
                Double.NaN, Double.NaN)));
        assertThat(s.kvCacheUsage()).isEqualTo(0.93);
        assertThat(s.waitingRequests()).isEqualTo(7);
    }

    @Test
    void unknownFiguresAreUnknownSignals() {
        UpstreamSignals s = new UpstreamStateSignals(UpstreamState.UNKNOWN);
        assertThat(s.kvCacheUsage()).isNaN();
        assertThat(s.waitingRequests()).isEqualTo(-1);
    }
}
