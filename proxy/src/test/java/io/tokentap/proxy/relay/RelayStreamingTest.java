package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tokentap.core.stream.Outcome;
import io.tokentap.proxy.relay.ScriptedUpstream.Script;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class RelayStreamingTest extends RelayTestSupport {

    private static final String BODY = "{\"model\":\"llama-test\",\"stream\":true,\"messages\":[]}";

    private static String closingRequest() {
        return RawClient.post("/v1/chat/completions", BODY).replace("Host: test.local\r\n",
                "Host: test.local\r\nConnection: close\r\n");
    }

    @Test
    void clientHoldsEventOneBeforeUpstreamSendsEventTwo() throws Exception {
        start(req -> Script.sse()
                .send("data: {\"event\":1}\n\n")
                .pause(Duration.ofMillis(300))
                .send("data: {\"event\":2}\n\n")
                .end());
        try (RawClient client = new RawClient(proxyAddress)) {
            client.write(closingRequest());
            client.readInBackground(8192);
            await().atMost(Duration.ofSeconds(5)).until(() -> client.eof);

            long eventOneSeen = client.nanosWhenSeen("{\"event\":1}");
            long eventTwoSent = upstream.sendNanos.get(1);
            assertThat(eventOneSeen).as("client read event 1").isPositive();
            assertThat(eventOneSeen).as("event 1 reached the client before event 2 left the upstream")
                    .isLessThan(eventTwoSent);
            System.out.printf("event 1 held by the client %.1f ms before the upstream sent event 2%n",
                    (eventTwoSent - eventOneSeen) / 1e6);
            assertThat(client.text()).contains("HTTP/1.1 200", "x-accel-buffering: no", "{\"event\":2}")
                    .endsWith("0\r\n\r\n");
        }
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f).isNotNull();
        assertThat(f.timeline().outcome()).isEqualTo(Outcome.OK);
        assertThat(f.model()).isEqualTo("llama-test");
        assertThat(f.route()).isEqualTo("/v1/chat/completions");
    }

    @Test
    void unknownContentTypeIsRelayedWithByteTimingOnly() throws Exception {
        // SSE-looking bytes under a content type tokentap does not know: relayed as they are, never decoded.
        String part1 = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n";
        String part2 = "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n";
        start(req -> new Script(200).header("Content-Type", "application/x-custom-stream")
                .header("Transfer-Encoding", "chunked")
                .send(part1).pause(Duration.ofMillis(100)).send(part2).end());
        try (RawClient client = new RawClient(proxyAddress)) {
            client.write(closingRequest());
            client.readInBackground(8192);
            await().atMost(Duration.ofSeconds(5)).until(() -> client.eof);
            assertThat(client.nanosWhenSeen(part1)).as("part 1 reached the client before part 2 was sent")
                    .isPositive().isLessThan(upstream.sendNanos.get(1));
            assertThat(client.text()).contains("application/x-custom-stream", part1, part2);
        }
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f).isNotNull();
        var t = f.timeline();
        assertThat(t.outcome()).isEqualTo(Outcome.OK);
        assertThat(t.ttfbNanos()).as("byte-level timing is kept").isPositive();
        assertThat(t.e2eNanos()).isGreaterThanOrEqualTo(t.ttfbNanos() + Duration.ofMillis(90).toNanos());
        assertThat(t.contentEvents()).as("nothing is decoded").isZero();
        assertThat(t.ttftNanos()).isEqualTo(io.tokentap.core.timeline.RequestTimeline.UNDEFINED);
    }

    @Test
    void clientAbortClosesUpstreamWithin100ms() throws Exception {
        Script script = Script.sse().send("data: {\"event\":1}\n\n");
        for (int i = 0; i < 200; i++) {
            script.pause(Duration.ofMillis(20)).send("data: {\"event\":\"more\"}\n\n");
        }
        start(req -> script.end());
        long closedAt;
        try (RawClient client = new RawClient(proxyAddress)) {
            client.write(RawClient.post("/v1/chat/completions", BODY));
            client.readInBackground(8192);
            await().atMost(Duration.ofSeconds(5)).until(() -> client.nanosWhenSeen("{\"event\":1}") > 0);
            assertThat(upstream.connectionsOpen.get()).isEqualTo(1);
            closedAt = System.nanoTime();
        }
        await().atMost(Duration.ofMillis(100)).pollInterval(Duration.ofMillis(2))
                .until(() -> upstream.connectionsOpen.get() == 0);
        long delayNanos = upstream.closedNanos.get(0) - closedAt;
        System.out.printf("upstream connection closed %.2f ms after the client closed%n", delayNanos / 1e6);
        assertThat(delayNanos).isLessThan(TimeUnit.MILLISECONDS.toNanos(100));

        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f).isNotNull();
        assertThat(f.timeline().outcome()).isEqualTo(Outcome.CLIENT_CANCEL);
    }

    @Test
    void upstreamDyingMidStreamEndsTheClientResponse() throws Exception {
        start(req -> Script.sse()
                .send("data: {\"event\":1}\n\n")
                .pause(Duration.ofMillis(50))
                .send("data: {\"event\":2}\n\n")
                .die());
        try (RawClient client = new RawClient(proxyAddress)) {
            client.write(RawClient.post("/v1/chat/completions", BODY)); // keep-alive: only the proxy can end it
            client.readInBackground(8192);
            await().atMost(Duration.ofSeconds(5)).until(() -> client.eof);
            assertThat(client.text()).contains("HTTP/1.1 200", "{\"event\":1}", "{\"event\":2}");
            // The stream is cut, not faked complete: no final zero-length chunk.
            assertThat(client.text()).doesNotEndWith("0\r\n\r\n");
        }
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f).isNotNull();
        assertThat(f.timeline().outcome()).isEqualTo(Outcome.UPSTREAM_RESET);
        assertThat(f.timeline().status()).isEqualTo(200);
    }

    @Test
    void upstream500BeforeStreamingReachesTheClientAndIsRecorded() throws Exception {
        String error = "{\"error\":{\"message\":\"out of KV cache\",\"type\":\"server_error\"}}";
        start(req -> Script.fixed(500, "application/json", error));
        try (RawClient client = new RawClient(proxyAddress)) {
            client.write(RawClient.post("/v1/chat/completions", BODY));
            client.readInBackground(8192);
            await().atMost(Duration.ofSeconds(5)).until(() -> client.text().contains(error));
            assertThat(client.text()).startsWith("HTTP/1.1 500").contains("content-length: " + error.length());
            // The connection is still good for the next request.
            client.write(closingRequest());
            await().atMost(Duration.ofSeconds(5)).until(() -> client.eof);
            assertThat(client.text().split("HTTP/1.1 500", -1)).hasSize(3);
        }
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f).isNotNull();
        assertThat(f.timeline().outcome()).isEqualTo(Outcome.UPSTREAM_5XX);
        assertThat(upstream.connectionsOpened.get()).as("keep-alive upstream connection reused").isEqualTo(1);
    }

    @Test
    void unreachableUpstreamAnswers502() throws Exception {
        int deadPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        startProxy(io.tokentap.proxy.config.ProxyConfig.forUpstream("http://127.0.0.1:" + deadPort));
        try (RawClient client = new RawClient(proxyAddress)) {
            client.write(closingRequest());
            client.readInBackground(8192);
            await().atMost(Duration.ofSeconds(5)).until(() -> client.eof);
            assertThat(client.text()).startsWith("HTTP/1.1 502").contains("upstream_unavailable");
        }
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f).isNotNull();
        assertThat(f.timeline().outcome()).isEqualTo(Outcome.UPSTREAM_RESET);
        assertThat(metrics.errors).contains("upstream:connect_refused");
    }

    @Test
    void fullUpstreamPoolAnswers503AndRecordsTheRejection() throws Exception {
        Script slow = Script.sse().send("data: {\"event\":1}\n\n").pause(Duration.ofMillis(1500)).end();
        start(req -> slow, c -> c.withUpstream(new io.tokentap.proxy.config.UpstreamConfig(c.upstream().url(), 1, 1,
                Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(4))));
        try (RawClient first = new RawClient(proxyAddress); RawClient second = new RawClient(proxyAddress)) {
            first.readInBackground(8192);
            first.write(RawClient.post("/v1/chat/completions", BODY));
            await().atMost(Duration.ofSeconds(5)).until(() -> first.nanosWhenSeen("{\"event\":1}") > 0);
            second.readInBackground(8192);
            second.write(closingRequest());
            await().atMost(Duration.ofSeconds(5)).until(() -> second.eof);
            assertThat(second.text()).startsWith("HTTP/1.1 503").contains("upstream_busy");
        }
        assertThat(metrics.rejected).containsExactly("concurrency");
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f).isNotNull();
        assertThat(f.timeline().outcome()).isEqualTo(Outcome.SHED);
        assertThat(upstream.connectionsOpened.get()).isEqualTo(1);
    }

    @Test
    void keepAliveOnBothSides() throws Exception {
        start(req -> Script.fixed(200, "application/json", "{\"n\":\"" + req.uri() + "\"}"));
        try (RawClient client = new RawClient(proxyAddress)) {
            client.readInBackground(8192);
            client.write(RawClient.post("/v1/a", BODY));
            await().atMost(Duration.ofSeconds(5)).until(() -> client.text().contains("{\"n\":\"/v1/a\"}"));
            client.write(RawClient.post("/v1/b", BODY));
            await().atMost(Duration.ofSeconds(5)).until(() -> client.text().contains("{\"n\":\"/v1/b\"}"));
            assertThat(client.eof).isFalse();
        }
        assertThat(upstream.connectionsOpened.get()).isEqualTo(1);
        assertThat(proxy.clientConnections()).isLessThanOrEqualTo(1);
    }

    @Test
    void unusedUpstreamConnectionIsClosedAfterIdleTimeout() throws Exception {
        start(req -> Script.fixed(200, "application/json", "{}"),
                c -> c.withUpstream(c.upstream().withIdleTimeout(Duration.ofMillis(200))));
        try (RawClient client = new RawClient(proxyAddress)) {
            client.readInBackground(8192);
            client.write(RawClient.post("/v1/a", BODY));
            await().atMost(Duration.ofSeconds(5)).until(() -> client.text().contains("{}"));
            assertThat(upstream.connectionsOpen.get()).isEqualTo(1);
            await().atMost(Duration.ofSeconds(3)).until(() -> upstream.connectionsOpen.get() == 0);
            // The next request opens a fresh connection and succeeds.
            client.write(RawClient.post("/v1/b", BODY));
            await().atMost(Duration.ofSeconds(5)).until(() -> client.text().split("HTTP/1.1 200").length == 3);
        }
        assertThat(upstream.connectionsOpened.get()).isEqualTo(2);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        start(req -> Script.sse().send("data: " + req.uri() + "\n\n").pause(Duration.ofMillis(30)).end());
        try (RawClient client = new RawClient(proxyAddress)) {
            client.readInBackground(8192);
            client.write(RawClient.post("/v1/first", BODY) + closingRequest().replace("/v1/chat/completions",
                    "/v1/second"));
            await().atMost(Duration.ofSeconds(5)).until(() -> client.eof);
            String text = client.text();
            assertThat(text.indexOf("data: /v1/first")).isPositive().isLessThan(text.indexOf("data: /v1/second"));
        }
    }

    @Test
    void hopByHopHeadersAreStrippedAndForwardingHeadersAdded() throws Exception {
        start(req -> Script.sse().header("Keep-Alive", "timeout=5").header("Connection", "x-upstream-secret")
                .header("X-Upstream-Secret", "1").header("X-Request-Id", "abc").send("data: hi\n\n").end());
        try (RawClient client = new RawClient(proxyAddress)) {
            client.write("POST /v1/chat/completions HTTP/1.1\r\nHost: api.example.test\r\n"
                    + "Connection: close, x-hop\r\nX-Hop: drop-me\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\n"
                    + "Upgrade: h2c\r\nX-Forwarded-For: 10.0.0.1\r\nAuthorization: Bearer t\r\n"
                    + "Content-Length: " + BODY.length() + "\r\n\r\n" + BODY);
            client.readInBackground(8192);
            await().atMost(Duration.ofSeconds(5)).until(() -> client.eof);
            String head = client.text().substring(0, client.text().indexOf("\r\n\r\n")).toLowerCase();
            assertThat(head).contains("x-request-id: abc", "x-accel-buffering: no", "transfer-encoding: chunked")
                    .doesNotContain("keep-alive:", "x-upstream-secret");
        }
        ScriptedUpstream.Received r = upstream.received.peek();
        assertThat(r).isNotNull();
        assertThat(r.headers().contains("X-Hop")).isFalse();
        assertThat(r.headers().contains("Proxy-Connection")).isFalse();
        assertThat(r.headers().contains("TE")).isFalse();
        assertThat(r.headers().contains("Upgrade")).isFalse();
        assertThat(r.headers().get("Authorization")).isEqualTo("Bearer t");
        assertThat(r.headers().get("X-Forwarded-For")).isEqualTo("10.0.0.1, 127.0.0.1");
        assertThat(r.headers().get("X-Forwarded-Host")).isEqualTo("api.example.test");
        int upstreamPort = java.net.URI.create(upstream.url()).getPort();
        assertThat(r.headers().get("Host")).isEqualTo("127.0.0.1:" + upstreamPort);
        assertThat(r.body()).isEqualTo(BODY);
    }

    @Test
    void requestBodyStreamsBeforeItEnds() throws Exception {
        start(req -> Script.fixed(200, "application/json", "{\"len\":" + req.body().length() + "}"));
        try (RawClient client = new RawClient(proxyAddress)) {
            client.readInBackground(8192);
            String part1 = "{\"model\":\"chunky\",\"messages\":[";
            String part2 = "]}";
            client.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                    + "Connection: close\r\n\r\n" + Integer.toHexString(part1.length()) + "\r\n" + part1 + "\r\n");
            // The upstream sees the first part while the client still holds the rest.
            await().atMost(Duration.ofSeconds(5)).until(() -> upstream.bodyPartsReceived.get() >= 1);
            assertThat(upstream.received).isEmpty();
            client.write(Integer.toHexString(part2.length()) + "\r\n" + part2 + "\r\n0\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> client.eof);
            assertThat(client.text()).contains("{\"len\":" + (part1 + part2).length() + "}");
        }
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f).isNotNull();
        assertThat(f.model()).isEqualTo("chunky");
    }

    @Test
    void largeRequestBodyArrivesIntact() throws Exception {
        start(req -> Script.fixed(200, "application/json", "{\"len\":" + req.body().length() + ",\"hash\":"
                + req.body().hashCode() + "}"));
        StringBuilder sb = new StringBuilder("{\"model\":\"big\",\"messages\":[");
        for (int i = 0; sb.length() < 4 * 1024 * 1024; i++) {
            sb.append("{\"role\":\"user\",\"content\":\"message number ").append(i).append("\"},");
        }
        sb.append("{}]}");
        String body = sb.toString();
        try (RawClient client = new RawClient(proxyAddress)) {
            client.readInBackground(8192);
            client.write(RawClient.post("/v1/chat/completions", body));
            await().atMost(Duration.ofSeconds(20)).until(() -> client.text().contains("\"hash\""));
            assertThat(client.text()).contains("{\"len\":" + body.length() + ",\"hash\":" + body.hashCode() + "}");
        }
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f).isNotNull();
        assertThat(f.model()).isEqualTo("big");
    }

    @Test
    void http10ClientGetsACloseDelimitedStream() throws Exception {
        start(req -> Script.sse().send("data: one\n\n").pause(Duration.ofMillis(20)).send("data: two\n\n").end());
        try (RawClient client = new RawClient(proxyAddress)) {
            client.readInBackground(8192);
            client.write(RawClient.post("/v1/chat/completions", BODY).replace("HTTP/1.1", "HTTP/1.0"));
            await().atMost(Duration.ofSeconds(5)).until(() -> client.eof);
            String text = client.text();
            assertThat(text).startsWith("HTTP/1.0 200").contains("connection: close")
                    .doesNotContain("transfer-encoding").endsWith("data: one\n\ndata: two\n\n");
        }
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f).isNotNull();
        assertThat(f.timeline().outcome()).isEqualTo(Outcome.OK);
    }

    @Test
    void headResponseHasNoBodyAndKeepsTheConnection() throws Exception {
        start(req -> req.method().equals("HEAD")
                ? new Script(200).header("Content-Type", "application/json").header("Content-Length", "1234").end()
                : Script.fixed(200, "application/json", "{\"after\":\"head\"}"));
        try (RawClient client = new RawClient(proxyAddress)) {
            client.readInBackground(8192);
            client.write("HEAD /v1/models HTTP/1.1\r\nHost: x\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> client.text().endsWith("\r\n\r\n"));
            assertThat(client.text().toLowerCase()).startsWith("http/1.1 200").contains("content-length: 1234");
            client.write("GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> client.text().contains("{\"after\":\"head\"}"));
        }
        assertThat(upstream.connectionsOpened.get()).isEqualTo(1);
    }

    @Test
    void malformedRequestGets400AndClose() throws Exception {
        start(req -> Script.fixed(200, "text/plain", "unused"));
        try (RawClient client = new RawClient(proxyAddress)) {
            client.readInBackground(8192);
            client.write("GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n");
            await().atMost(Duration.ofSeconds(5)).until(() -> client.eof);
            assertThat(client.text()).startsWith("HTTP/1.1 400");
        }
        assertThat(upstream.received).isEmpty();
    }
}
