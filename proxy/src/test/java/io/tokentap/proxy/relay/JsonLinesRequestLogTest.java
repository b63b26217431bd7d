package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.Outcome;
import io.tokentap.core.stream.Usage;
import io.tokentap.core.timeline.RequestTimeline;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class JsonLinesRequestLogTest {

    @Test
    void writesOneJsonLinePerRequestWithTimelineFigures() throws Exception {
        long ms = 1_000_000L;
        RequestTimeline t = new RequestTimeline(0);
        t.status(200);
        t.firstByte(10 * ms);
        t.empty(10 * ms);
        t.content(20 * ms, ContentKind.TEXT, 0, null);
        t.content(30 * ms, ContentKind.TEXT, 0, null);
        t.content(50 * ms, ContentKind.TEXT, 0, null);
        t.usage(50 * ms, new Usage(12, 3, 0, Usage.UNKNOWN));
        t.done(51 * ms);
        t.end(52 * ms, Outcome.OK);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonLinesRequestLog log = new JsonLinesRequestLog(new PrintStream(out, true, StandardCharsets.UTF_8))) {
            log.finished("POST", "/v1/chat/completions", "llama", "OPENAI_CHAT_SSE", t, 1234);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).endsWith("\n").doesNotContain("\n{");
        JsonNode j = new ObjectMapper().readTree(text);
        assertThat(j.get("route").asText()).isEqualTo("/v1/chat/completions");
        assertThat(j.get("model").asText()).isEqualTo("llama");
        assertThat(j.get("outcome").asText()).isEqualTo("ok");
        assertThat(j.get("ttfb_ms").asDouble()).isEqualTo(10.0);
        assertThat(j.get("ttft_ms").asDouble()).isEqualTo(20.0);
        assertThat(j.get("tpot_ms").asDouble()).isEqualTo(15.0);
        assertThat(j.get("max_stall_ms").asDouble()).isEqualTo(20.0);
        assertThat(j.get("e2e_ms").asDouble()).isEqualTo(52.0);
        assertThat(j.get("output_tokens").asLong()).isEqualTo(3);
        assertThat(j.get("input_tokens").asLong()).isEqualTo(12);
        assertThat(j.get("reasoning_tokens").isNull()).isTrue();
        assertThat(j.get("bytes_out").asLong()).isEqualTo(1234);
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlocking() throws Exception {
        RequestTimeline t = new RequestTimeline(0);
        t.end(1, Outcome.CLIENT_CANCEL);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        // A stream whose reader is stuck: the writer thread blocks on the first line.
        PrintStream stuck = new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, true, StandardCharsets.UTF_8);
        try (JsonLinesRequestLog log = new JsonLinesRequestLog(stuck, 4)) {
            long start = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                log.finished("GET", "/x", "m", "UNKNOWN", t, 0);
            }
            assertThat(System.nanoTime() - start).as("never blocks the caller").isLessThan(2_000_000_000L);
            assertThat(log.dropped()).isBetween(90L, 96L);
            release.countDown();
        }
    }

    /** An output nobody reads (a stalled log pipe): the writer blocks, the queue fills, close must still return. */
    @Test
    void closeReturnsWhenTheOutputBlocksAndTheQueueIsFull() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        OutputStream stuck = new OutputStream() {
            @Override
            public void write(int b) {
                while (true) {
                    try {
                        never.await();
                    } catch (InterruptedException e) {
                        // like a write to a full pipe: not interruptible
                    }
                }
            }
        };
        RequestTimeline t = new RequestTimeline(0);
        t.end(1, Outcome.CLIENT_CANCEL);
        JsonLinesRequestLog log = new JsonLinesRequestLog(new PrintStream(stuck, true, StandardCharsets.UTF_8), 4);
        for (int i = 0; i < 16; i++) {
            log.finished("POST", "/v1/chat/completions", "m", "UNKNOWN", t, 0);
        }
        assertThat(log.dropped()).as("the queue is full").isPositive();
        long start = System.nanoTime();
        CompletableFuture<Void> closed = CompletableFuture.runAsync(log::close);
        closed.get(15, TimeUnit.SECONDS);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(15_000);
    }
}
