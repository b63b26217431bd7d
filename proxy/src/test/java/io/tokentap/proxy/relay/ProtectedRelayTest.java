package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tokentap.core.stream.Outcome;
import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.protect.Protection;
import io.tokentap.proxy.protect.ProtectionConfig;
import io.tokentap.proxy.protect.ProtectionRecorder;
import io.tokentap.proxy.protect.breaker.UpstreamBreaker;
import io.tokentap.proxy.protect.shed.UpstreamSignals;
import io.tokentap.proxy.relay.ScriptedUpstream.Script;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The relay with protection on, over real sockets: admission, retries, the breaker and the timeouts. */
@Timeout(30)
class ProtectedRelayTest extends RelayTestSupport {

    private static final String BODY =
            "{\"model\":\"llama-test\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    private static final String OK_JSON = "{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,"
            + "\"completion_tokens\":7,\"total_tokens\":12}}";

    private Protection protection;
    private final List<String> recorded = new CopyOnWriteArrayList<>();

    private void startProtected(java.util.function.Function<ScriptedUpstream.Received, Script> scripts,
                                UnaryOperator<ProtectionConfig> tweak) throws Exception {
        upstream = new ScriptedUpstream(upstreamLoop, scripts);
        upstream.start();
        startProtectedProxy(ProxyConfig.forUpstream(upstream.url()), tweak);
    }

    /** Upstream load a test sets by hand. */
    private volatile double kvCache = Double.NaN;

    private void startProtectedProxy(ProxyConfig config, UnaryOperator<ProtectionConfig> tweak) throws Exception {
        metrics = new RecordingMetrics();
        ProtectionRecorder recorder = new ProtectionRecorder() {
            @Override
            public void retryScheduled(String route, String trigger, long backoffNanos) {
                recorded.add("retry " + trigger + " " + (backoffNanos >= 0));
            }

            @Override
            public void retryGivenUp(String route, String reason) {
                recorded.add("gave up " + reason);
            }

            @Override
            public void breakerState(String upstream, String state) {
                recorded.add("breaker " + state);
            }
        };
        UpstreamSignals signals = new UpstreamSignals() {
            @Override
            public double kvCacheUsage() {
                return kvCache;
            }

            @Override
            public long waitingRequests() {
                return -1;
            }
        };
        protection = new Protection(tweak.apply(ProtectionConfig.defaults()), metrics, recorder,
                signals, "upstream", System::nanoTime, new Random(42), Runnable::run,
                UpstreamBreaker.Listener.NONE);
        proxy = new ProxyServer(config, metrics, boss, workers, new WireFormatTap(1 << 20), RequestLog.NONE, protection);
        proxyAddress = proxy.start();
    }

    private static String request(String key, boolean close) {
        String r = RawClient.post("/v1/chat/completions", BODY);
        String extra = "Authorization: Bearer " + key + "\r\n" + (close ? "Connection: close\r\n" : "");
        return r.replace("Host: test.local\r\n", "Host: test.local\r\n" + extra);
    }

    private String exchange(String key) throws Exception {
        try (RawClient client = new RawClient(proxyAddress)) {
            client.write(request(key, true));
            client.readInBackground(8192);
            await().atMost(Duration.ofSeconds(10)).until(() -> client.eof);
            return client.text();
        }
    }

    private static ProtectionConfig.Limits rpm(long rpm) {
        return new ProtectionConfig.Limits(true, rpm, 1_000_000, 8, 1000, 1000, Duration.ofMinutes(5));
    }

    private static ProtectionConfig.Retry retries(int n, Duration budget) {
        return new ProtectionConfig.Retry(n, Duration.ofMillis(20), Duration.ofMillis(100), 2.0, budget,
                Set.of(429, 503, 529), List.of());
    }

    @Test
    void overTheLimitTheClientGetsOpenAisTooManyRequestsAndTheUpstreamNothing() throws Exception {
        startProtected(req -> Script.fixed(200, "application/json", OK_JSON), c -> c.withLimits(rpm(1)));
        assertThat(exchange("key-a")).startsWith("HTTP/1.1 200").contains("x-ratelimit-limit-requests: 1",
                "x-ratelimit-remaining-requests: 0");
        String rejected = exchange("key-a");
        assertThat(rejected).startsWith("HTTP/1.1 429 Too Many Requests")
                .contains("content-type: application/json",
                        "x-ratelimit-limit-requests: 1", "x-ratelimit-remaining-requests: 0",
                        "x-ratelimit-limit-tokens: 1000000",
                        "x-ratelimit-remaining-tokens: ", "x-ratelimit-reset-tokens: ")
                .contains("{\"error\":{\"message\":\"Rate limit reached for this API key on requests per min (RPM)",
                        "\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}");
        // A minute per request, less the little time since the first one.
        assertThat(rejected).containsPattern("retry-after: (59|60)\r\n")
                .containsPattern("retry-after-ms: (5\\d{4}|60000)\r\n")
                .containsPattern("x-ratelimit-reset-requests: (5\\d(\\.\\d+)?s|1m0s)\r\n");
        assertThat(rejected).doesNotContain("key-a");
        assertThat(upstream.received).hasSize(1);
        assertThat(metrics.rejected).containsExactly("rate");
        // Another tenant is not limited, and every slot is given back.
        assertThat(exchange("key-b")).startsWith("HTTP/1.1 200");
        await().atMost(Duration.ofSeconds(5)).until(() -> protection.admission().inFlight() == 0);
    }

    @Test
    void aFullKvCacheShedsWith503UntilItDrainsBelowTheOffThreshold() throws Exception {
        startProtected(req -> Script.fixed(200, "application/json", OK_JSON), c -> c.withShedding(
                new ProtectionConfig.Shedding(true, 0.9, 0.7, 100, 50, Duration.ofMillis(2500))));
        kvCache = 0.95;
        String shed = exchange("k");
        assertThat(shed).startsWith("HTTP/1.1 503").contains("retry-after: 3", "retry-after-ms: 2500",
                "\"type\":\"server_error\"", "\"code\":\"overloaded\"");
        kvCache = 0.8; // below on, above off: still shedding
        assertThat(exchange("k")).startsWith("HTTP/1.1 503");
        kvCache = 0.5;
        assertThat(exchange("k")).startsWith("HTTP/1.1 200");
        assertThat(upstream.received).hasSize(1);
        assertThat(metrics.rejected).containsExactly("shed", "shed");
        assertThat(metrics.finished.poll(5, TimeUnit.SECONDS).timeline().outcome()).isEqualTo(Outcome.SHED);
    }

    @Test
    void tokensAreChargedByEstimateThenReconciledWithTheReportedUsage() throws Exception {
        startProtected(req -> Script.fixed(200, "application/json", OK_JSON), c -> c.withLimits(
                new ProtectionConfig.Limits(true, 100, 100, 8, 1000, 1000, Duration.ofMinutes(5))));
        String tenant = io.tokentap.proxy.protect.tenant.TenantResolver.hash("k");
        assertThat(exchange("k")).startsWith("HTTP/1.1 200");
        await().atMost(Duration.ofSeconds(5)).until(() -> protection.admission().inFlight() == 0);
        // Charged max_tokens (20) plus the prompt at admission; the response reported 12 tokens in all.
        assertThat(protection.admission().status(tenant).remainingTokens()).isBetween(85L, 100L);
        // A request whose max_tokens alone exceeds the minute's tokens is refused as too large.
        String big = request("k", true).replace("\"max_tokens\":20", "\"max_tokens\":500")
                .replace("Content-Length: " + BODY.length(), "Content-Length: " + (BODY.length() + 1));
        try (RawClient client = new RawClient(proxyAddress)) {
            client.write(big);
            client.readInBackground(8192);
            await().atMost(Duration.ofSeconds(5)).until(() -> client.eof);
            assertThat(client.text()).startsWith("HTTP/1.1 429").contains("\"type\":\"tokens\"",
                    "Request too large");
        }
        assertThat(metrics.rejected).containsExactly("tokens");
    }

    @Test
    void aRejectionKeepsTheConnectionForTheNextRequest() throws Exception {
        startProtected(req -> Script.fixed(200, "application/json", OK_JSON), c -> c.withLimits(rpm(1)));
        try (RawClient client = new RawClient(proxyAddress)) {
            client.readInBackground(8192);
            client.write(request("k", false));
            await().atMost(Duration.ofSeconds(5)).until(() -> client.text().contains(OK_JSON));
            client.write(request("k", false));
            await().atMost(Duration.ofSeconds(5)).until(() -> client.text().contains("rate_limit_exceeded"));
            client.write(request("other", true));
            await().atMost(Duration.ofSeconds(5)).until(() -> client.eof);
            assertThat(client.text().split("HTTP/1.1 200", -1)).hasSize(3);
        }
    }

    @Test
    void rejectionsPipelinedBehindAStreamAreAnsweredAfterItInOrder() throws Exception {
        // The stream takes 200 ms: a rejection answered as soon as it is read would overtake it.
        startProtected(req -> Sse.openAiChat("llama-test", List.of("a", "b", "c", "d"), Duration.ofMillis(50)),
                c -> c.withLimits(rpm(1)));
        try (RawClient client = new RawClient(proxyAddress)) {
            client.readInBackground(8192);
            client.write(request("k", false) + request("k", false) + request("k", true));
            await().atMost(Duration.ofSeconds(10)).until(() -> client.eof);
            String text = client.text();
            int ok = text.indexOf("HTTP/1.1 200");
            int first429 = text.indexOf("HTTP/1.1 429");
            assertThat(ok).isZero();
            assertThat(first429).isGreaterThan(text.indexOf("[DONE]"));
            assertThat(text.split("HTTP/1.1 429", -1)).hasSize(3);
            assertThat(text.substring(text.lastIndexOf("HTTP/1.1 429"))).contains("connection: close");
        }
        assertThat(upstream.received).hasSize(1);
        assertThat(metrics.rejected).containsExactly("rate", "rate");
        await().atMost(Duration.ofSeconds(5)).until(() -> protection.admission().inFlight() == 0);
    }

    @Test
    void anUpstream429IsRetriedAfterItsRetryAfterAndTheClientSeesOnlyTheSuccess() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        startProtected(req -> calls.incrementAndGet() == 1
                        ? Script.fixed(429, "application/json", "{\"error\":{\"message\":\"slow down\"}}")
                                .header("retry-after-ms", "150")
                        : Script.fixed(200, "application/json", OK_JSON),
                c -> c.withRetry(retries(2, Duration.ofSeconds(5))));
        long start = System.nanoTime();
        String text = exchange("k");
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(text).startsWith("HTTP/1.1 200").contains(OK_JSON).doesNotContain("slow down");
        assertThat(tookMillis).as("waited for retry-after-ms").isGreaterThanOrEqualTo(150);
        assertThat(recorded).containsExactly("retry status true");
        assertThat(upstream.received).hasSize(2);
        assertThat(upstream.received).extracting(ScriptedUpstream.Received::body).containsOnly(BODY);
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f.timeline().outcome()).isEqualTo(Outcome.OK);
        assertThat(f.timeline().status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> protection.admission().inFlight() == 0);
    }

    @Test
    void retriesStopAtTheLimitAndTheLastAnswerGoesThrough() throws Exception {
        startProtected(req -> Script.fixed(503, "application/json", "{\"error\":{\"message\":\"busy\"}}"),
                c -> c.withRetry(retries(2, Duration.ofSeconds(5))));
        assertThat(exchange("k")).startsWith("HTTP/1.1 503").contains("busy");
        assertThat(upstream.received).hasSize(3);
        assertThat(metrics.finished.poll(5, TimeUnit.SECONDS).timeline().outcome()).isEqualTo(Outcome.UPSTREAM_5XX);
        assertThat(recorded).containsExactly("retry status true", "retry status true", "gave up attempts");
    }

    @Test
    void aRefusedConnectIsRetriedThenAnswered502() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        startProtectedProxy(ProxyConfig.forUpstream("http://127.0.0.1:" + deadPort),
                c -> c.withRetry(retries(2, Duration.ofSeconds(5))));
        assertThat(exchange("k")).startsWith("HTTP/1.1 502");
        assertThat(metrics.errors.stream().filter(e -> e.equals("upstream:connect_refused"))).hasSize(3);
    }

    @Test
    void theBreakerOpensOnFailuresAndThenFailsFastWithoutCallingTheUpstream() throws Exception {
        startProtected(req -> Script.fixed(500, "application/json", "{\"error\":{\"message\":\"boom\"}}"),
                c -> c.withRetry(retries(0, Duration.ofSeconds(1)))
                        .withBreaker(new ProtectionConfig.Breaker(true, 50, 4, 2, Duration.ofSeconds(30), 1)));
        assertThat(exchange("k")).startsWith("HTTP/1.1 500");
        assertThat(exchange("k")).startsWith("HTTP/1.1 500");
        assertThat(protection.breaker().ready()).isFalse();
        String fast = exchange("k");
        assertThat(fast).startsWith("HTTP/1.1 503").contains("retry-after: 30", "upstream_unavailable");
        assertThat(upstream.received).hasSize(2);
        assertThat(metrics.rejected).containsExactly("circuit_open");
        assertThat(recorded).containsExactly("breaker open");
        await().atMost(Duration.ofSeconds(5)).until(() -> protection.admission().inFlight() == 0);
    }

    @Test
    void aBodyOverTheLimitGets413AndTheConnectionCloses() throws Exception {
        startProtected(req -> Script.fixed(200, "application/json", OK_JSON), c -> c.withMaxRequestBodyBytes(64));
        assertThat(exchange("k")).startsWith("HTTP/1.1 413").contains("connection: close");
        assertThat(upstream.received).isEmpty();
        // The proxy goes on serving the next, well-formed client.
        try (RawClient client = new RawClient(proxyAddress)) {
            client.write(RawClient.post("/v1/completions", "{}").replace("Host: test.local\r\n",
                    "Host: test.local\r\nConnection: close\r\n"));
            client.readInBackground(8192);
            await().atMost(Duration.ofSeconds(5)).until(() -> client.eof);
            assertThat(client.text()).startsWith("HTTP/1.1 200").contains(OK_JSON);
        }
        assertThat(upstream.received).extracting(ScriptedUpstream.Received::body).containsExactly("{}");
    }

    private static ProtectionConfig.Timeouts timeouts(long firstByteMs, long idleMs, long totalMs) {
        return new ProtectionConfig.Timeouts(Duration.ofMillis(500), Duration.ofMillis(firstByteMs),
                Duration.ofMillis(idleMs), Duration.ofMillis(totalMs));
    }

    @Test
    void aSilentUpstreamEndsInAFirstByteTimeout() throws Exception {
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // read nothing, answer nothing
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            startProtectedProxy(ProxyConfig.forUpstream("http://127.0.0.1:" + silent.getLocalPort()),
                    c -> c.withTimeouts(timeouts(300, 5000, 10_000)));
            long start = System.nanoTime();
            String text = exchange("k");
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(text).startsWith("HTTP/1.1 504").contains("first_byte_timeout");
            assertThat(tookMillis).isBetween(250L, 5000L);
            RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
            assertThat(f.timeline().outcome()).isEqualTo(Outcome.TIMEOUT);
            assertThat(metrics.errors).contains("upstream:first_byte_timeout");
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void aStalledStreamEndsInAnIdleTimeout() throws Exception {
        startProtected(req -> Script.sse().send("data: {\"event\":1}\n\n").pause(Duration.ofSeconds(10)).end(),
                c -> c.withTimeouts(timeouts(2000, 300, 20_000)));
        String text = exchange("k");
        assertThat(text).startsWith("HTTP/1.1 200").contains("{\"event\":1}").doesNotEndWith("0\r\n\r\n");
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f.timeline().outcome()).isEqualTo(Outcome.TIMEOUT);
        assertThat(metrics.errors).containsExactly("upstream:idle_timeout");
        await().atMost(Duration.ofSeconds(5)).until(() -> upstream.connectionsOpen.get() == 0);
    }

    @Test
    void aStreamThatNeverEndsEndsInATotalTimeout() throws Exception {
        Script endless = Script.sse();
        for (int i = 0; i < 400; i++) {
            endless.send("data: {\"event\":" + i + "}\n\n").pause(Duration.ofMillis(25));
        }
        startProtected(req -> endless.end(), c -> c.withTimeouts(timeouts(500, 300, 800)));
        String text = exchange("k");
        assertThat(text).startsWith("HTTP/1.1 200").contains("{\"event\":1}").doesNotContain("{\"event\":399}");
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f.timeline().outcome()).isEqualTo(Outcome.TIMEOUT);
        assertThat(metrics.errors).containsExactly("upstream:total_timeout");
    }
}
