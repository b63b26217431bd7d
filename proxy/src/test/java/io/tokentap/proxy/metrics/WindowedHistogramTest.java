package io.tokentap.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WindowedHistogramTest {

    /**
     * Event loops record into one model's window at once while the scrape reads it. An HdrHistogram recorder over
     * packed concurrent arrays livelocked here (a writer growing the array waited for a writer spinning in
     * {@code consolidateEntry}) and stopped every event loop of the proxy for good; each fresh window starts empty,
     * so every round grows its arrays under concurrent writers.
     */
    @Test
    void concurrentWritersAndAReaderNeverStall() throws Exception {
        int writers = 4;
        int rounds = 60;
        int valuesPerWriter = 2_000;
        for (int round = 0; round < rounds; round++) {
            AtomicLong clock = new AtomicLong();
            WindowedHistogram w = new WindowedHistogram(Duration.ofDays(365), clock::get); // nothing leaves it here
            CyclicBarrier start = new CyclicBarrier(writers + 1);
            AtomicBoolean writing = new AtomicBoolean(true);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < writers; t++) {
                long seed = round * 31L + t;
                threads.add(daemon(() -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    await(start);
                    for (int i = 0; i < valuesPerWriter; i++) {
                        // Log-uniform from 1 µs to 100 s: values land in many buckets, so the arrays keep growing.
                        w.recordNanos((long) Math.pow(10, 3 + random.nextDouble() * 8));
                    }
                }));
            }
            Thread reader = daemon(() -> {
                await(start);
                while (writing.get()) {
                    // Past the snapshot's reuse, so that every reading swaps the histogram writers record into.
                    clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(WindowedHistogram.SNAPSHOT_REUSE_MILLIS));
                    w.count();
                }
            });
            threads.forEach(Thread::start);
            reader.start();
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(20));
                assertThat(t.isAlive()).as("writer stalled in round %d", round).isFalse();
            }
            writing.set(false);
            reader.join(TimeUnit.SECONDS.toMillis(20));
            assertThat(reader.isAlive()).as("reader stalled in round %d", round).isFalse();
            // Past the reuse of the reader's last snapshot: every value recorded is in the window, none lost in a swap.
            clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
            assertThat(w.count()).isEqualTo((long) writers * valuesPerWriter);
        }
    }

    /** A stalled thread must not keep the test JVM alive. */
    private static Thread daemon(Runnable r) {
        Thread t = new Thread(r);
        t.setDaemon(true);
        return t;
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
