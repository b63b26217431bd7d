package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tokentap.core.stream.Outcome;
import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.protect.Protection;
import io.tokentap.proxy.protect.ProtectionConfig;
import io.tokentap.proxy.protect.breaker.UpstreamBreaker;
import io.tokentap.proxy.protect.shed.UpstreamSignals;
import io.tokentap.proxy.relay.ScriptedUpstream.Script;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The bad-input table, on real sockets through a protected proxy (as {@code tokentap proxy} runs): each case gets
 * its answer, and after each one the proxy serves the next well-formed client normally.
 */
@Timeout(60)
class BadInputTest extends RelayTestSupport {

    private static final String OK_JSON = "{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,"
            + "\"completion_tokens\":7,\"total_tokens\":12}}";
    private Protection protection;

    private void startProtected(ProxyConfig config, UnaryOperator<ProtectionConfig> tweak) throws Exception {
        metrics = new RecordingMetrics();
        protection = new Protection(tweak.apply(ProtectionConfig.defaults()), metrics, UpstreamSignals.NONE,
                "upstream", System::nanoTime, new Random(11), Runnable::run, UpstreamBreaker.Listener.NONE);
        proxy = new ProxyServer(config, metrics, boss, workers, new WireFormatTap(1 << 20), RequestLog.NONE,
                protection);
        proxyAddress = proxy.start();
    }

    private void startProtected(java.util.function.Function<ScriptedUpstream.Received, Script> scripts,
                                UnaryOperator<ProtectionConfig> tweak) throws Exception {
        upstream = new ScriptedUpstream(upstreamLoop, scripts);
        upstream.start();
        startProtected(ProxyConfig.forUpstream(upstream.url()), tweak);
    }

    private String send(String raw) throws Exception {
        try (RawClient client = new RawClient(proxyAddress)) {
            client.readInBackground(8192);
            client.write(raw);
            await().atMost(Duration.ofSeconds(15)).until(() -> client.eof);
            return client.text();
        }
    }

    /** The next, well-formed client is served normally. */
    private void nextClientIsServed() throws Exception {
        int before = upstream == null ? 0 : upstream.received.size();
        String text = send(RawClient.post("/v1/chat/completions", "{\"model\":\"m\"}")
                .replace("Host: test.local\r\n", "Host: test.local\r\nConnection: close\r\n"));
        assertThat(text).startsWith("HTTP/1.1 200").contains(OK_JSON);
        assertThat(upstream.received).hasSize(before + 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> protection.admission().inFlight() == 0);
    }

    private static String withBody(String head, String body) {
        return head + "\r\n" + body;
    }

    @Test
    void aClientThatPipelinesWithoutReadingItsAnswersStopsBeingRead() throws Exception {
        startProtected(req -> Script.fixed(200, "application/json", OK_JSON), c -> c.withLimits(
                new ProtectionConfig.Limits(true, 1, 1_000_000, 8, 1000, 1000, Duration.ofMinutes(5))));
        byte[] one = RawClient.post("/v1/chat/completions", "{\"model\":\"m\"}")
                .replace("Host: test.local\r\n", "Host: test.local\r\nAuthorization: Bearer sk-flood\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] batch = new byte[one.length * 512];
        for (int i = 0; i < 512; i++) {
            System.arraycopy(one, 0, batch, i * one.length, one.length);
        }
        long total = 64L << 20; // about 340,000 requests, each answered 429 with about 500 bytes
        // The tenant's one request of the minute goes first, on a connection of its own.
        assertThat(send(new String(one, StandardCharsets.US_ASCII).replace("Host: test.local\r\n",
                "Host: test.local\r\nConnection: close\r\n"))).startsWith("HTTP/1.1 200");
        AtomicLong written = new AtomicLong();
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(64 << 10);
            s.connect(proxyAddress);
            Thread writer = new Thread(() -> {
                try {
                    while (written.get() < total) {
                        s.getOutputStream().write(batch);
                        written.addAndGet(batch.length);
                    }
                } catch (IOException closed) {
                    // the test closes the socket
                }
            });
            writer.setDaemon(true);
            writer.start();
            // It never reads. Once its answers fill the socket buffers and the proxy's outbound high-water mark, the
            // proxy stops reading it: the count of answered requests stops growing, far short of what was sent.
            // (Without that brake the proxy reads on and queues every answer, 64 MB of requests in all.)
            AtomicInteger last = new AtomicInteger(-1);
            AtomicInteger stableFor = new AtomicInteger();
            try {
                await().atMost(Duration.ofSeconds(25)).pollDelay(Duration.ofSeconds(1))
                        .pollInterval(Duration.ofSeconds(1)).until(() -> {
                            int now = metrics.rejected.size();
                            stableFor.set(last.getAndSet(now) == now ? stableFor.get() + 1 : 0);
                            return stableFor.get() >= 3;
                        });
            } catch (ConditionTimeoutException stillAnswering) {
                // reported below, with the counts
            }
            assertThat(stableFor.get())
                    .as("seconds without a new answer; %d answered, %d bytes sent", last.get(), written.get())
                    .isGreaterThanOrEqualTo(3);
            assertThat(written.get()).isLessThan(total / 2);
        }
        nextClientIsServed();
    }

    @Test
    void headersOverTheLimitGet431AndTheConnectionCloses() throws Exception {
        startProtected(req -> Script.fixed(200, "application/json", OK_JSON), c -> c);
        String big = "x-filler: " + "a".repeat(64 * 1024) + "\r\n";
        String text = send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + big + "Content-Length: 2\r\n\r\n{}");
        assertThat(text).startsWith("HTTP/1.1 431").contains("connection: close");
        assertThat(upstream.received).isEmpty();
        nextClientIsServed();
    }

    @Test
    void requestSmugglingShapesGet400AndTheConnectionCloses() throws Exception {
        startProtected(req -> Script.fixed(200, "application/json", OK_JSON), c -> c);
        List<String> shapes = List.of(
                // Content-Length and Transfer-Encoding together (CL.TE / TE.CL)
                withBody("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                        + "Transfer-Encoding: chunked\r\n", "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"),
                // two different Content-Lengths
                withBody("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                        + "Content-Length: 30\r\n", "{}GET /smuggled HTTP/1.1\r\n\r\n"),
                // the same Content-Length twice is still two headers a front end and a back end may read apart
                withBody("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                        + "Content-Length: 2\r\n", "{}"),
                // an invalid chunk size
                withBody("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n",
                        "zz\r\n{}\r\n0\r\n\r\n"),
                // a Transfer-Encoding that is not chunked last
                withBody("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n",
                        "2\r\n{}\r\n0\r\n\r\n"),
                // an obfuscated Transfer-Encoding
                withBody("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n",
                        "2\r\n{}\r\n0\r\n\r\n"));
        for (String shape : shapes) {
            String text = send(shape);
            assertThat(text).as(shape).startsWith("HTTP/1.1 400").contains("connection: close")
                    .doesNotContain("HTTP/1.1 200");
        }
        assertThat(upstream.received).as("nothing reached the upstream").isEmpty();
        nextClientIsServed();
    }

    @Test
    void withoutProtectionAnInvalidChunkSizeStillGets400AndClose() throws Exception {
        start(req -> Script.fixed(200, "application/json", OK_JSON));
        String text = send(withBody("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n",
                "2\r\n{}\r\nzz\r\n0\r\n\r\n"));
        assertThat(text).startsWith("HTTP/1.1 400").contains("connection: close");
        assertThat(send(withBody("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n",
                "0\r\n\r\n"))).startsWith("HTTP/1.1 400");
    }

    @Test
    void invalidJsonIsPassedThroughAndAccountedFor() throws Exception {
        startProtected(req -> req.body().startsWith("{\"model\"")
                ? Script.fixed(200, "application/json", OK_JSON)
                : Script.fixed(400, "application/json", "{\"error\":{\"message\":\"bad json\"}}"), c -> c);
        String text = send(RawClient.post("/v1/chat/completions", "{\"messages\": [ not json")
                .replace("Host: test.local\r\n", "Host: test.local\r\nConnection: close\r\n"));
        assertThat(text).startsWith("HTTP/1.1 400").contains("bad json");
        assertThat(upstream.received).extracting(ScriptedUpstream.Received::body)
                .containsExactly("{\"messages\": [ not json");
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f.timeline().status()).isEqualTo(400);
        assertThat(metrics.rejected).isEmpty();
        nextClientIsServed();
    }

    /** An upstream on a raw socket that answers every connection with {@code answer}, then holds it open. */
    private ServerSocket rawUpstream(byte[] answer, List<Socket> held) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    Socket s = server.accept();
                    held.add(s);
                    Thread w = new Thread(() -> {
                        try (InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                            in.read(new byte[8192]);
                            out.write(answer);
                            out.flush();
                            in.read(); // hold until the proxy closes
                        } catch (IOException closed) {
                            // the proxy closed it
                        }
                    });
                    w.setDaemon(true);
                    w.start();
                }
            } catch (IOException closed) {
                // the test is over
            }
        });
        t.setDaemon(true);
        t.start();
        return server;
    }

    @Test
    void anUpstreamThatSendsGarbageIsContained() throws Exception {
        List<Socket> held = new CopyOnWriteArrayList<>();
        byte[] garbage = new byte[64 * 1024];
        new Random(5).nextBytes(garbage);
        try (ServerSocket bad = rawUpstream(garbage, held)) {
            startProtected(ProxyConfig.forUpstream("http://127.0.0.1:" + bad.getLocalPort()), c -> c.withRetry(
                    new ProtectionConfig.Retry(1, Duration.ofMillis(10), Duration.ofMillis(20), 2.0,
                            Duration.ofSeconds(2), Set.of(429, 503, 529), List.of())));
            String text = send(RawClient.post("/v1/chat/completions", "{}")
                    .replace("Host: test.local\r\n", "Host: test.local\r\nConnection: close\r\n"));
            assertThat(text).startsWith("HTTP/1.1 502");
            RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
            assertThat(f.timeline().outcome()).isEqualTo(Outcome.UPSTREAM_RESET);
            await().atMost(Duration.ofSeconds(5)).until(() -> protection.admission().inFlight() == 0);
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        // The same proxy process goes on: a new proxy on a good upstream is not the point; the event loops are shared.
        proxy.close();
        upstream = new ScriptedUpstream(upstreamLoop, req -> Script.fixed(200, "application/json", OK_JSON));
        upstream.start();
        startProtected(ProxyConfig.forUpstream(upstream.url()), c -> c);
        nextClientIsServed();
    }

    @Test
    void aTenMegabyteLineWithNoNewlineIsRelayedWithoutBeingHeldAndTheIdleTimeoutFires() throws Exception {
        int size = 10 << 20;
        Script s = Script.sse().send("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n");
        String block = "x".repeat(64 * 1024);
        for (int i = 0; i < size / block.length(); i++) {
            s.send(block);
        }
        s.pause(Duration.ofSeconds(20));
        Script endless = s.end();
        startProtected(req -> req.body().startsWith("{\"model\"")
                        ? Script.fixed(200, "application/json", OK_JSON) : endless,
                c -> c.withTimeouts(new ProtectionConfig.Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(5),
                        Duration.ofMillis(500), Duration.ofSeconds(30))));
        long received;
        try (RawClient client = new RawClient(proxyAddress)) {
            client.readInBackground(64 * 1024);
            client.write(RawClient.post("/v1/chat/completions", "{\"stream\":true}"));
            await().atMost(Duration.ofSeconds(30)).until(() -> client.eof);
            String text = client.text();
            received = text.substring(text.indexOf("\r\n\r\n")).chars().filter(ch -> ch == 'x').count();
        }
        assertThat(received).as("every byte of the line reached the client").isEqualTo(size);
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f.timeline().outcome()).isEqualTo(Outcome.TIMEOUT);
        assertThat(metrics.errors).contains("upstream:idle_timeout");
        assertThat(f.timeline().contentEvents()).isEqualTo(1);
        nextClientIsServed();
    }
}
