package io.tokentap.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ShutdownSequenceTest {

    @Test
    void aStepThatNeverReturnsIsLeftBehindAndTheNextStepsStillRun() {
        CountDownLatch never = new CountDownLatch(1);
        List<String> ran = new CopyOnWriteArrayList<>();
        ShutdownSequence s = new ShutdownSequence()
                .step("first", Duration.ofSeconds(1), () -> ran.add("first"))
                .step("stuck", Duration.ofMillis(500), () -> {
                    ran.add("stuck");
                    while (true) {
                        try {
                            never.await(); // ignores interrupts, like awaitUninterruptibly
                        } catch (InterruptedException ignored) {
                            // keep waiting
                        }
                    }
                })
                .step("failing", Duration.ofSeconds(1), () -> {
                    throw new IllegalStateException("boom");
                })
                .step("last", Duration.ofSeconds(1), () -> ran.add("last"));
        long start = System.nanoTime();
        boolean all = s.run();
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(all).isFalse();
        assertThat(ran).containsExactly("first", "stuck", "last");
        assertThat(tookMillis).as("about the stuck step's limit, far below the budget's worst case")
                .isBetween(400L, 3_000L);
        assertThat(s.budget()).isEqualTo(Duration.ofMillis(3_500));
    }

    @Test
    void stepsThatFinishReportSuccess() {
        assertThat(new ShutdownSequence().step("a", Duration.ofSeconds(1), () -> { }).run()).isTrue();
    }

    @Test
    void aLimitMustBePositive() {
        assertThatThrownBy(() -> new ShutdownSequence().step("a", Duration.ZERO, () -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: > 0");
    }
}
