package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tokentap.core.stream.Outcome;
import io.tokentap.proxy.config.RelayConfig;
import io.tokentap.proxy.relay.ScriptedUpstream.Script;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client that reads 1 KB/s from a stream the upstream can produce at loopback speed: the proxy must pause the
 * upstream rather than queue the stream, so what it holds for the client stays under the high-water mark plus one
 * upstream read (and Netty's per-message bookkeeping for that read).
 */
@Timeout(30)
class SlowClientBackpressureTest extends RelayTestSupport {

    private static final int LOW = 8 * 1024;
    private static final int HIGH = 16 * 1024;
    private static final int READ = 4 * 1024;
    private static final int EVENTS = 16 * 1024;
    private static final int EVENT_BYTES = 1024;

    @Test
    void slowReaderKeepsProxyBufferBounded() throws Exception {
        start(req -> Script.sse().bulk(EVENTS, EVENT_BYTES).end(),
                c -> c.withRelay(RelayConfig.defaults().withWaterMarks(LOW, HIGH).withReadBufferBytes(READ)));
        long total = (long) EVENTS * EVENT_BYTES;
        AtomicLong maxPending = new AtomicLong();
        AtomicLong clientRead = new AtomicLong();
        ScheduledExecutorService sched = Executors.newScheduledThreadPool(2);
        try (RawClient client = new RawClient(proxyAddress, 4096)) {
            client.write(RawClient.post("/v1/chat/completions", "{\"model\":\"slow\",\"stream\":true}"));
            client.socket.setSoTimeout(50);
            sched.scheduleAtFixedRate(() -> maxPending.accumulateAndGet(proxy.pendingClientBytes(), Math::max),
                    0, 5, TimeUnit.MILLISECONDS);
            // 1 KB/s: 256 bytes every 250 ms.
            sched.scheduleAtFixedRate(() -> {
                try {
                    int n = client.readOnce(256);
                    if (n > 0) {
                        clientRead.addAndGet(n);
                    }
                } catch (Exception ignored) {
                    // the socket closes at the end of the test
                }
            }, 0, 250, TimeUnit.MILLISECONDS);

            // Wait until the upstream is stalled: kernel buffers are full and the proxy has stopped reading.
            AtomicLong lastFlushed = new AtomicLong(-1);
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500)).until(() -> {
                long now = upstream.bytesFlushed.get();
                return now > 0 && now == lastFlushed.getAndSet(now);
            });
            long stalledAt = upstream.bytesFlushed.get();
            // Keep reading slowly for another second and watch the proxy.
            await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> true);

            long observed = maxPending.get();
            long bound = HIGH + 4L * READ + 16 * 1024;
            System.out.printf("slow client: read %d bytes; upstream flushed %d of %d bytes before stalling;"
                            + " proxy held at most %d bytes for the stream (high-water mark %d, read %d, bound %d)%n",
                    clientRead.get(), stalledAt, total, observed, HIGH, READ, bound);
            assertThat(stalledAt).as("the upstream was paused").isLessThan(total / 2);
            assertThat(observed).as("backpressure engaged").isGreaterThan(HIGH / 2);
            assertThat(observed).as("bytes the proxy held for the slow client").isLessThanOrEqualTo(bound);
        } finally {
            sched.shutdownNow();
        }
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f).isNotNull();
        assertThat(f.timeline().outcome()).isEqualTo(Outcome.CLIENT_CANCEL);
        await().atMost(Duration.ofSeconds(2)).until(() -> upstream.connectionsOpen.get() == 0);
    }

}
