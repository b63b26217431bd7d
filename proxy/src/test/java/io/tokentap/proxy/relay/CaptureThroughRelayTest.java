package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.core.capture.CaptureRecord;
import io.tokentap.proxy.capture.CaptureConfig;
import io.tokentap.proxy.capture.CaptureWriter;
import io.tokentap.proxy.capture.CaptureWriters;
import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.protect.tenant.TenantResolver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Capture through the real relay: sampled requests are recorded with their measured timeline and a hash of the
 * tenant key, never the key nor (with {@code shape}) the prompt text; and capture never fails or slows a request,
 * whether the disk is full or the writer is stuck.
 */
@Timeout(60)
class CaptureThroughRelayTest extends RelayTestSupport {

    private static final String KEY = "sk-live-CAPTURESECRET0123456789";
    private static final String PROMPT = "Summarise the quarterly report for the board";

    @TempDir
    Path dir;

    private CaptureWriter writer;

    private void startCapturing(CaptureWriter w) throws Exception {
        writer = w;
        upstream = new ScriptedUpstream(upstreamLoop,
                req -> Sse.openAiChat("m", List.of("The", " report", " says", " growth"), Duration.ofMillis(5)));
        upstream.start();
        metrics = new RecordingMetrics();
        proxy = new ProxyServer(ProxyConfig.forUpstream(upstream.url()), metrics, boss, workers).capture(w);
        proxyAddress = proxy.start();
    }

    private String send(int i) throws IOException {
        String body = "{\"model\":\"m\",\"stream\":true,\"max_tokens\":16,\"messages\":[{\"role\":\"system\","
                + "\"content\":\"You are careful.\"},{\"role\":\"user\",\"content\":\"" + PROMPT + " " + i + "\"}]}";
        try (RawClient client = new RawClient(proxyAddress)) {
            client.write(RawClient.post("/v1/chat/completions", body).replace("Host: test.local\r\n",
                    "Host: test.local\r\nConnection: close\r\nAuthorization: Bearer " + KEY + "\r\n"));
            client.readInBackground(8192);
            await().atMost(Duration.ofSeconds(10)).until(() -> client.eof);
            return client.text();
        }
    }

    private List<String> lines() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.sorted().toList()) {
                out.addAll(Files.readAllLines(f));
            }
        }
        return out;
    }

    @Test
    void sampledRequestsAreRecordedWithTheirTimelineAndNoSecrets() throws Exception {
        startCapturing(new CaptureWriter(CaptureConfig.OFF.withDir(dir), new java.util.Random(1),
                java.time.Clock.systemUTC()));
        for (int i = 0; i < 3; i++) {
            assertThat(send(i)).contains("HTTP/1.1 200", "growth");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> writer.written() == 3);
        proxy.close();
        writer.close();
        List<String> lines = lines();
        assertThat(lines).hasSize(3);
        String all = String.join("\n", lines);
        assertThat(all).doesNotContain(KEY).doesNotContain("CAPTURESECRET").doesNotContain("quarterly")
                .doesNotContain("careful");
        ObjectMapper mapper = new ObjectMapper();
        for (String line : lines) {
            CaptureRecord r = mapper.readValue(line, CaptureRecord.class);
            assertThat(r.route()).isEqualTo("/v1/chat/completions");
            assertThat(r.model()).isEqualTo("m");
            assertThat(r.tenant()).isEqualTo("sha256:" + TenantResolver.hash(KEY));
            assertThat(r.redaction()).isEqualTo("shape");
            assertThat(r.shape().messages()).extracting(CaptureRecord.MessageShape::role)
                    .containsExactly("system", "user");
            assertThat(r.shape().maxTokens()).isEqualTo(16);
            assertThat(r.timeline().status()).isEqualTo(200);
            assertThat(r.timeline().outcome()).isEqualTo("ok");
            assertThat(r.timeline().ttftMs()).isPositive();
            assertThat(r.timeline().e2eMs()).isGreaterThanOrEqualTo(r.timeline().ttftMs());
            assertThat(r.timeline().outputTokens()).isEqualTo(4L);
            assertThat(r.arrivalUs()).isCloseTo(System.currentTimeMillis() * 1000L, org.assertj.core.data.Offset
                    .offset(60_000_000L));
        }
        // The system prompt is the same in all three, so their first (only) block differs only by the user text.
        assertThat(lines).allMatch(l -> l.contains("\"hash_ids\":["));
    }

    @Test
    void aFullDiskNeverFailsARequest() throws Exception {
        // /dev/full takes the open and fails every write with ENOSPC, like a file system that has run out of space.
        Path devFull = Path.of("/dev/full");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(devFull), "needs /dev/full (Linux)");
        startCapturing(CaptureWriters.withOpener(CaptureConfig.OFF.withDir(dir),
                f -> Files.newOutputStream(devFull)));
        for (int i = 0; i < 5; i++) {
            assertThat(send(i)).contains("HTTP/1.1 200", "growth", "[DONE]");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> writer.writeFailed() == 5);
        assertThat(writer.written()).isZero();
        assertThat(metrics.finished).hasSize(5);
        writer.close();
    }

    @Test
    void aFailingOpenNeverFailsARequest() throws Exception {
        startCapturing(CaptureWriters.withOpener(CaptureConfig.OFF.withDir(dir), f -> {
            throw new IOException("Read-only file system");
        }));
        for (int i = 0; i < 3; i++) {
            assertThat(send(i)).contains("HTTP/1.1 200", "[DONE]");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> writer.writeFailed() == 3);
        writer.close();
    }

    @Test
    void aStuckWriterDropsAndCountsInsteadOfWaiting() throws Exception {
        CountDownLatch opening = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        startCapturing(CaptureWriters.withOpener(CaptureConfig.OFF.withDir(dir).withQueueCapacity(2), f -> {
            opening.countDown();
            try {
                release.await(); // the disk hangs
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Files.newOutputStream(f);
        }));
        assertThat(send(0)).contains("HTTP/1.1 200");
        assertThat(opening.await(10, TimeUnit.SECONDS)).isTrue();
        long t0 = System.nanoTime();
        for (int i = 1; i <= 4; i++) {
            assertThat(send(i)).contains("HTTP/1.1 200", "[DONE]");
        }
        // Two wait in the queue, two are dropped; the requests did not wait for the writer.
        await().atMost(Duration.ofSeconds(5)).until(() -> writer.droppedQueueFull() == 2);
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).isLessThan(10);
        release.countDown();
        writer.close();
        assertThat(writer.written()).isEqualTo(3);
        assertThat(lines()).hasSize(3);
    }
}
