package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.tokentap.core.stream.Outcome;
import io.tokentap.proxy.capture.TrafficCapture;
import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.protect.Protection;
import io.tokentap.proxy.protect.ProtectionConfig;
import io.tokentap.proxy.protect.breaker.UpstreamBreaker;
import io.tokentap.proxy.protect.shed.UpstreamSignals;
import io.tokentap.proxy.protect.tenant.TenantResolver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client pipeline of a protected proxy on an embedded channel, with a spy after the codec: a request the early
 * path rejects never reaches the codec, and its answer is byte for byte the one the codec's path gives. No request
 * here is admitted (the tenant's minute is spent before), so no upstream is needed.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class EarlyRejectionTest {

    private static final String BODY = "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[]}";

    private final AtomicLong clock = new AtomicLong(TimeUnit.HOURS.toNanos(1));
    private final RecordingMetrics metrics = new RecordingMetrics();
    private final AtomicInteger decoded = new AtomicInteger();
    private Protection protection;
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        ProtectionConfig config = ProtectionConfig.defaults().withLimits(
                new ProtectionConfig.Limits(true, 1, 1_000_000, 8, 1000, 1000, Duration.ofMinutes(5)));
        protection = new Protection(config, metrics, UpstreamSignals.NONE, "upstream", clock::get, new Random(1),
                Runnable::run, UpstreamBreaker.Listener.NONE);
        // The tenant's one request of the minute is spent.
        protection.admission().tryAdmit(TenantResolver.hash("sk-a"), 0L, t -> t).ticket().release(0);
        ProxyConfig proxyConfig = ProxyConfig.forUpstream("http://127.0.0.1:9");
        RelayContext rc = new RelayContext(proxyConfig, metrics, null, new WireFormatTap(1 << 20), RequestLog.NONE,
                new RelayErrors(metrics), new JsonFactory(), protection, TrafficCapture.NONE,
                new TenantResolver(config.tenants()));
        channel = new EmbeddedChannel();
        RelayInitializer.addHandlers(channel.pipeline(), rc, new RequestFraming());
        channel.pipeline().addBefore("relay", "spy", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof HttpRequest) {
                    decoded.incrementAndGet();
                }
                ctx.fireChannelRead(msg);
            }
        });
    }

    private static String request(String extraHeaders) {
        return "POST /v1/chat/completions?v=1 HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer sk-a\r\n" + extraHeaders
                + "Content-Type: application/json\r\nContent-Length: " + BODY.length() + "\r\n\r\n" + BODY;
    }

    private static String chunked() {
        return "POST /v1/chat/completions?v=1 HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer sk-a\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(BODY.length()) + "\r\n" + BODY + "\r\n0\r\n\r\n";
    }

    private void send(String... pieces) {
        for (String p : pieces) {
            channel.writeInbound(Unpooled.copiedBuffer(p, StandardCharsets.ISO_8859_1));
        }
    }

    private String answered() {
        StringBuilder s = new StringBuilder();
        for (Object o; (o = channel.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            s.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return s.toString();
    }

    private static List<String> responses(String wire) {
        List<String> out = new ArrayList<>();
        int at = 0;
        while (at < wire.length()) {
            int next = wire.indexOf("HTTP/1.1 ", at + 1);
            out.add(wire.substring(at, next < 0 ? wire.length() : next));
            at = next < 0 ? wire.length() : next;
        }
        return out;
    }

    @Test
    void aRejectedRequestNeverReachesTheCodecAndIsAnsweredAsTheCodecsPathWould() {
        send(request(""));
        String early = answered();
        assertThat(decoded).as("answered before the codec").hasValue(0);
        assertThat(early).startsWith("HTTP/1.1 429 Too Many Requests\r\n")
                .contains("x-ratelimit-limit-requests: 1\r\n", "connection: keep-alive\r\n")
                .endsWith("\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}");
        assertThat(channel.isOpen()).isTrue();

        // A chunked request is not the early path's shape: the codec reads it, and the relay rejects it.
        send(chunked());
        String viaCodec = answered();
        assertThat(decoded).hasValue(1);
        assertThat(early).isEqualTo(viaCodec);
        assertThat(metrics.rejected).containsExactly("rate", "rate");
        List<RecordingMetrics.Finished> finished = new ArrayList<>(metrics.finished);
        assertThat(finished).hasSize(2).allSatisfy(f -> {
            assertThat(f.route()).isEqualTo("/v1/chat/completions");
            assertThat(f.model()).isEqualTo("unknown");
            assertThat(f.timeline().outcome()).isEqualTo(Outcome.RATE_LIMITED);
        });
        assertThat(protection.admission().inFlight()).isZero();
        channel.finishAndReleaseAll();
    }

    @Test
    void pipelinedAndSplitRequestsAreAnsweredInOrderAndOtherTenantsGoOn() {
        String one = request("");
        // Three in one read, then one in three reads cut inside its head and its body.
        send(one + one + one);
        send(one.substring(0, 20), one.substring(20, one.length() - 5), one.substring(one.length() - 5));
        List<String> answers = responses(answered());
        assertThat(answers).hasSize(4).allSatisfy(a -> assertThat(a).startsWith("HTTP/1.1 429 "));
        assertThat(decoded).hasValue(0);
        // The head of another tenant's request is held until it is whole (then it would pass the cheap checks and go
        // on to the codec whole; no upstream here to admit it to).
        send(request("").replace("sk-a", "sk-b").replace("Host: test\r\n", "Host: test\r\nConnection: close\r\n")
                .substring(0, 60));
        assertThat(decoded).hasValue(0);
        assertThat(metrics.rejected).hasSize(4);
        channel.finishAndReleaseAll();
    }

    @Test
    void connectionCloseIsAnsweredThenTheConnectionClosesAndTheRestIsDropped() {
        send(request("Connection: close\r\n") + request(""));
        String wire = answered();
        assertThat(responses(wire)).hasSize(1);
        assertThat(wire).contains("connection: close\r\n");
        assertThat(channel.isOpen()).isFalse();
        assertThat(metrics.rejected).containsExactly("rate");
        assertThat(decoded).hasValue(0);
        channel.finishAndReleaseAll();
    }

    @Test
    void afterAHeadItDoesNotReadTheCodecReadsEverything() {
        // HTTP/1.0 is left to the codec; from then on the early path stays out of this connection.
        send("GET /v1/models HTTP/1.0\r\nAuthorization: Bearer sk-a\r\nConnection: keep-alive\r\n\r\n");
        assertThat(decoded).hasValue(1);
        assertThat(answered()).startsWith("HTTP/1.1 429 ");
        send(request(""));
        assertThat(decoded).hasValue(2);
        assertThat(answered()).startsWith("HTTP/1.1 429 ");
        channel.finishAndReleaseAll();
    }
}
