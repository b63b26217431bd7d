package io.tokentap.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WindowedMomentsTest {

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final WindowedMoments w = new WindowedMoments(Duration.ofSeconds(60), clock::get);

    @Test
    void coefficientOfVariationOfTheWindow() {
        assertThat(w.coefficientOfVariation()).isNaN();
        for (int i = 0; i < 50; i++) {
            w.recordNanos(10_000_000);
            w.recordNanos(30_000_000);
        }
        // Mean 20 ms, population std 10 ms.
        assertThat(w.coefficientOfVariation()).isCloseTo(0.5, within(1e-9));
        assertThat(w.count()).isEqualTo(100);
    }

    @Test
    void constantValuesHaveNoVariation() {
        for (int i = 0; i < 10; i++) {
            w.recordNanos(25_000_000);
        }
        assertThat(w.coefficientOfVariation()).isCloseTo(0.0, within(1e-6));
    }

    @Test
    void valuesLeaveTheWindowSliceBySlice() {
        w.recordNanos(10_000_000);
        w.recordNanos(30_000_000);
        assertThat(w.count()).isEqualTo(2);
        clock.addAndGet(Duration.ofSeconds(30).toNanos());
        w.recordNanos(20_000_000);
        assertThat(w.count()).isEqualTo(3);
        // 61 s after the first two: their slice has left; the value read 30 s ago is still in.
        clock.addAndGet(Duration.ofSeconds(31).toNanos());
        assertThat(w.count()).isEqualTo(1);
        assertThat(w.coefficientOfVariation()).isNaN();
        clock.addAndGet(Duration.ofSeconds(60).toNanos());
        assertThat(w.count()).isZero();
    }
}
