package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tokentap.core.stream.Outcome;
import io.tokentap.proxy.relay.ScriptedUpstream.Script;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class GracefulDrainTest extends RelayTestSupport {

    private static final String BODY = "{\"model\":\"drain\",\"stream\":true}";

    @Test
    void drainLetsTheStreamInFlightFinishAndClosesIdleConnections() throws Exception {
        start(req -> req.uri().equals("/v1/slow")
                ? Script.sse().send("data: 1\n\n").pause(Duration.ofMillis(400)).send("data: 2\n\n").end()
                : Script.fixed(200, "application/json", "{}"));
        try (RawClient streaming = new RawClient(proxyAddress); RawClient idle = new RawClient(proxyAddress)) {
            idle.readInBackground(8192);
            idle.write(RawClient.post("/v1/fast", BODY));
            await().atMost(Duration.ofSeconds(5)).until(() -> idle.text().contains("{}"));
            streaming.readInBackground(8192);
            streaming.write(RawClient.post("/v1/slow", BODY));
            await().atMost(Duration.ofSeconds(5)).until(() -> streaming.text().contains("data: 1"));

            long t0 = System.nanoTime();
            CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
                try {
                    return proxy.drain(Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(2)).until(() -> idle.eof);
            assertThat(streaming.eof).as("the stream in flight is not cut").isFalse();
            assertThat(proxy.draining()).isTrue();

            assertThat(drained.get(5, TimeUnit.SECONDS)).as("finished within the grace period").isTrue();
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            await().atMost(Duration.ofSeconds(2)).until(() -> streaming.eof);
            assertThat(streaming.text()).contains("data: 2").endsWith("0\r\n\r\n");
            assertThat(tookMillis).as("drain returned when the stream ended, not at the deadline").isLessThan(5000);
        }
        assertThatThrownBy(() -> new RawClient(proxyAddress).close()).isInstanceOf(IOException.class);
        RecordingMetrics.Finished first = metrics.finished.poll(5, TimeUnit.SECONDS);
        RecordingMetrics.Finished second = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(second).isNotNull();
        assertThat(first.timeline().outcome()).isEqualTo(Outcome.OK);
        assertThat(second.timeline().outcome()).isEqualTo(Outcome.OK);
    }
}
