package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.protect.Protection;
import io.tokentap.proxy.protect.ProtectionConfig;
import io.tokentap.proxy.protect.breaker.UpstreamBreaker;
import io.tokentap.proxy.protect.shed.UpstreamSignals;
import io.tokentap.proxy.relay.ScriptedUpstream.Script;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A seeded mutation fuzzer of the HTTP front end, bounded in time so it runs in CI: well-formed requests (JSON with
 * Content-Length, chunked, pipelined, Expect: 100-continue, a tenant's requests over its limit) are mutated and
 * thrown at a protected proxy over real sockets. No exception may escape as an unexpected error (the relay counts those under the cause "other", and
 * failures of its own measuring under "tap", "metrics" and "log"), every admission slot is given back, the leak
 * detector (paranoid in tests) finds no leaked buffer, and afterwards a well-formed client is served normally.
 */
@Timeout(90)
class HttpFrontEndFuzzTest extends RelayTestSupport {

    private static final long BUDGET_NANOS = Long.getLong("tokentap.fuzz.seconds", 4) * 1_000_000_000L;
    private static final String BODY = "{\"model\":\"m\",\"stream\":true,\"max_tokens\":5,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi \\u00e9\"}]}";
    static final List<String> TEMPLATES = List.of(
            RawClient.post("/v1/chat/completions", BODY),
            "POST /v1/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n3\r\n1}\n\r\n0\r\n\r\n",
            "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n" + RawClient.post("/v1/chat/completions", BODY),
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}",
            "HEAD / HTTP/1.0\r\n\r\n",
            // Keep-alive requests of one tenant over its limit: the early path's shape, pipelined, then closed.
            (RawClient.post("/v1/chat/completions", BODY) + RawClient.post("/v1/completions", "{}")
                    + RawClient.post("/v1/chat/completions", BODY).replace("Host: test.local\r\n",
                            "Host: test.local\r\nConnection: close\r\n"))
                    .replace("Host: test.local\r\n", "Host: test.local\r\nAuthorization: Bearer sk-fuzz\r\n"));
    private static final String[] SPLICES = {"\r\n", "\n", "\r\n\r\n", ":", " ", "\0", "Content-Length: 9\r\n",
        "Transfer-Encoding: chunked\r\n", "ffffffffffffffff\r\n", "HTTP/1.1", "\u00ff\u00fe", "-1", "0\r\n\r\n"};

    static byte[] mutate(byte[] in, Random r) {
        StringBuilder s = new StringBuilder(new String(in, StandardCharsets.ISO_8859_1));
        int ops = 1 + r.nextInt(4);
        for (int i = 0; i < ops; i++) {
            int at = s.length() == 0 ? 0 : r.nextInt(s.length());
            switch (r.nextInt(4)) {
                case 0 -> {
                    if (s.length() > 0) {
                        s.setCharAt(at, (char) r.nextInt(256));
                    }
                }
                case 1 -> s.insert(at, SPLICES[r.nextInt(SPLICES.length)]);
                case 2 -> s.delete(at, Math.min(s.length(), at + r.nextInt(16)));
                default -> s.setLength(at);
            }
        }
        return s.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void mutatedRequestsNeitherBreakNorLeakAndTheNextClientIsServed() throws Exception {
        upstream = new ScriptedUpstream(upstreamLoop, req -> req.uri().startsWith("/v1/chat")
                ? Sse.openAiChat("m", List.of("a", "b"), Duration.ZERO)
                : Script.fixed(200, "application/json", "{\"ok\":true}"));
        upstream.start();
        metrics = new RecordingMetrics();
        // A tight limit per tenant, so that most requests are rejected (most of them by the early path, from their
        // bytes) and some are relayed; the client at the end is a tenant of its own.
        ProtectionConfig config = ProtectionConfig.defaults().withLimits(
                new ProtectionConfig.Limits(true, 20, 1_000_000, 8, 1000, 1000, Duration.ofMinutes(5)));
        Protection protection = new Protection(config, metrics, UpstreamSignals.NONE,
                "upstream", System::nanoTime, new Random(1), Runnable::run, UpstreamBreaker.Listener.NONE);
        proxy = new ProxyServer(ProxyConfig.forUpstream(upstream.url()), metrics, boss, workers,
                new WireFormatTap(1 << 20), RequestLog.NONE, protection);
        proxyAddress = proxy.start();

        long seed = Long.getLong("tokentap.fuzz.seed", System.nanoTime());
        Random r = new Random(seed);
        long deadline = System.nanoTime() + BUDGET_NANOS;
        int runs = 0;
        byte[] buf = new byte[16384];
        while (System.nanoTime() < deadline || runs < 50) {
            byte[] req = mutate(TEMPLATES.get(r.nextInt(TEMPLATES.size())).getBytes(StandardCharsets.ISO_8859_1), r);
            try (Socket s = new Socket(proxyAddress.getAddress(), proxyAddress.getPort())) {
                // Short: a keep-alive answer leaves the connection open, and every run ends by this wait or a close.
                s.setSoTimeout(40);
                // In pieces, so the decoder sees heads and bodies split anywhere.
                int at = 0;
                while (at < req.length) {
                    int n = Math.min(req.length - at, 1 + r.nextInt(64));
                    s.getOutputStream().write(req, at, n);
                    s.getOutputStream().flush();
                    at += n;
                }
                if (r.nextInt(3) == 0) {
                    s.shutdownOutput(); // a client that half-closes after its request, mid-request if it was cut
                }
                InputStream in = s.getInputStream();
                while (in.read(buf) >= 0) {
                    // read what the proxy answers until it closes or goes quiet
                }
            } catch (SocketTimeoutException quiet) {
                // the proxy waits for more of a request that will not come: the client hangs up
            } catch (IOException reset) {
                // the proxy closed first
            }
            runs++;
        }
        System.out.println("HTTP front-end fuzz: " + runs + " mutated requests, " + metrics.rejected.size()
                + " rejected, seed " + seed);
        assertThat(metrics.rejected).as("the limit was reached, seed %d", seed).isNotEmpty();
        assertThat(metrics.errors).as("seed %d", seed)
                .noneMatch(e -> e.endsWith(":other") || e.startsWith("tap:") || e.startsWith("metrics:")
                        || e.startsWith("log:"));
        await().atMost(Duration.ofSeconds(10)).until(() -> protection.admission().inFlight() == 0);

        try (RawClient client = new RawClient(proxyAddress)) {
            client.readInBackground(8192);
            client.write(RawClient.post("/v1/models", "{}").replace("Host: test.local\r\n",
                    "Host: test.local\r\nConnection: close\r\nAuthorization: Bearer sk-last\r\n"));
            await().atMost(Duration.ofSeconds(5)).until(() -> client.eof);
            assertThat(client.text()).startsWith("HTTP/1.1 200").contains("{\"ok\":true}");
        }
    }
}
