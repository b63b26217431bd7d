package io.tokentap.sim.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokentap.sim.profile.Profile;
import io.tokentap.sim.profile.ProfileLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class EngineTest {
    final Profile tiny = new ProfileLoader().load("tiny"); // 286 blocks × 16 = 4,576 tokens of KV

    static final class Recorder implements TokenSink {
        int tokens;
        int rejectedStatus;
        int retryAfter;
        FinishReason finish;

        @Override
        public void onAccepted() {}

        @Override
        public void onRejected(int status, int retryAfterSeconds) {
            rejectedStatus = status;
            retryAfter = retryAfterSeconds;
        }

        @Override
        public void onToken(int index, FinishReason f) {
            assertThat(index).isEqualTo(tokens);
            tokens++;
            finish = f;
        }
    }

    static final class Counting implements EngineListener {
        final AtomicInteger preemptions = new AtomicInteger();

        @Override
        public void onPreemption() {
            preemptions.incrementAndGet();
        }
    }

    @Test
    void everyRequestGetsExactlyItsTokensThroughTheKvWall() {
        VirtualExecutor ex = new VirtualExecutor();
        Counting listener = new Counting();
        Engine engine = new Engine(tiny, ex, listener, new SplittableRandom(1), 1.0);
        List<Recorder> sinks = new ArrayList<>();
        // 16 requests that each grow to 100 + 500 tokens: 9,600 tokens against a 4,576-token cache.
        for (int i = 0; i < 16; i++) {
            Recorder r = new Recorder();
            sinks.add(r);
            engine.submit(new SimRequest("r" + i, 100, 500, true, r));
        }
        ex.runAll();
        assertThat(sinks).allSatisfy(r -> {
            assertThat(r.tokens).isEqualTo(500);
            assertThat(r.finish).isEqualTo(FinishReason.LENGTH);
        });
        assertThat(listener.preemptions.get()).isPositive();
        assertThat(engine.preemptions()).isEqualTo(listener.preemptions.get());
        assertThat(engine.state().usedBlocks()).isZero();
        assertThat(engine.state().running()).isZero();
    }

    @Test
    void aFullWaitingQueueRejectsWithTheProfilesStatus() {
        VirtualExecutor ex = new VirtualExecutor();
        Engine engine = new Engine(tiny, ex, EngineListener.NOOP, new SplittableRandom(1), 1.0);
        int maxWaiting = tiny.engine().maxWaiting();
        List<Recorder> sinks = new ArrayList<>();
        for (int i = 0; i < maxWaiting + 5; i++) {
            Recorder r = new Recorder();
            sinks.add(r);
            engine.submit(new SimRequest("r" + i, 10, 5, true, r));
        }
        // The first request starts an iteration at once; the rest queue; the queue holds maxWaiting.
        long rejected = sinks.stream().filter(r -> r.rejectedStatus == 503).count();
        assertThat(rejected).isEqualTo(4);
        ex.runAll();
        assertThat(sinks.stream().filter(r -> r.tokens == 5).count()).isEqualTo(maxWaiting + 1);
    }

    @Test
    void decodeIsMemoryBoundAndPrefillComputeBound() {
        Profile p = new ProfileLoader().load("llama3-8b-a100");
        CostModel cost = new CostModel(p);
        double weights = 8.03e9 * 2 / (2039e9 * 0.6);
        // One decode token: overhead + weights ÷ effective bandwidth.
        assertThat(cost.iterationSeconds(1, 0, 1)).isCloseTo(0.003 + 0.0002 + weights, org.assertj.core.data.Offset.offset(1e-9));
        // A 2,048-token prefill chunk: FLOPs dominate.
        double compute = 2048 * 2 * 8.03e9 / (312e12 * 0.6);
        assertThat(cost.iterationSeconds(2048, 0, 1)).isCloseTo(0.003 + 0.0002 + compute, org.assertj.core.data.Offset.offset(1e-9));
    }
}
