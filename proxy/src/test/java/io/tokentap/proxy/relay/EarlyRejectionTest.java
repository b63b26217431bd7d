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
import io.tokentap.proxy.protect.admit.AdmittedRequest;
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
        channel = pipeline(protection, metrics, true);
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

    /** A protected proxy's client pipeline on an embedded channel, with or without the early path. */
    private static EmbeddedChannel pipeline(Protection protection, RecordingMetrics metrics, boolean early) {
        RelayContext rc = new RelayContext(ProxyConfig.forUpstream("http://127.0.0.1:9"), metrics, null,
                new WireFormatTap(1 << 20), RequestLog.NONE, new RelayErrors(metrics), new JsonFactory(), protection,
                TrafficCapture.NONE, protection.tenants());
        EmbeddedChannel ch = new EmbeddedChannel();
        RelayInitializer.addHandlers(ch.pipeline(), rc, new RequestFraming());
        if (!early) {
            ch.pipeline().remove("early");
        }
        return ch;
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

    /**
     * A differential fuzz: mutated requests (the front-end fuzzer's templates and mutations, and this test's own
     * requests), split at random, go through two pipelines, one with the early path and one without, while the
     * upstream's KV cache is full so that every request that gets as far as admission is shed. Both must write the
     * same bytes and leave the connection in the same state: the early path answers exactly what the codec's path
     * answers, and refuses (hands on) whatever it would answer differently.
     */
    private static final int RUNS = Integer.getInteger("tokentap.fuzz.runs", 1500);

    /** What the relay reported of each request: outcome, status, route. */
    private static List<String> outcomes(RecordingMetrics m) {
        List<String> out = new ArrayList<>();
        for (RecordingMetrics.Finished f : m.finished) {
            out.add(f.timeline().outcome().label() + " " + f.timeline().status() + " " + f.route());
        }
        return out;
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void mutatedRequestsGetTheSameAnswersWithAndWithoutTheEarlyPath() {
        ProtectionConfig config = ProtectionConfig.defaults().withShedding(
                new ProtectionConfig.Shedding(true, 0.9, 0.7, 100, 50, Duration.ofMillis(2500)));
        UpstreamSignals full = new UpstreamSignals() {
            @Override
            public double kvCacheUsage() {
                return 0.95;
            }

            @Override
            public long waitingRequests() {
                return -1;
            }
        };
        Protection shedding = new Protection(config, metrics, full, "upstream", clock::get, new Random(1),
                Runnable::run, UpstreamBreaker.Listener.NONE);
        List<String> templates = new ArrayList<>(HttpFrontEndFuzzTest.TEMPLATES);
        templates.add(request("") + request("Connection: close\r\n"));
        templates.add(request("X-Tenant: \t a \r\n").replace("POST", "PUT"));
        long seed = Long.getLong("tokentap.fuzz.seed", System.nanoTime());
        Random r = new Random(seed);
        int compared = 0;
        int shed = 0;
        AtomicInteger shedViaCodec = new AtomicInteger();
        for (int run = 0; run < RUNS; run++) {
            byte[] bytes = HttpFrontEndFuzzTest.mutate(
                    templates.get(r.nextInt(templates.size())).getBytes(StandardCharsets.ISO_8859_1), r);
            List<Integer> cuts = new ArrayList<>();
            for (int at = 0; at < bytes.length; ) {
                at += 1 + r.nextInt(64);
                cuts.add(Math.min(at, bytes.length));
            }
            RecordingMetrics withMetrics = new RecordingMetrics();
            RecordingMetrics withoutMetrics = new RecordingMetrics();
            String[] answers = new String[2];
            boolean[] open = new boolean[2];
            for (int k = 0; k < 2; k++) {
                EmbeddedChannel ch = pipeline(shedding, k == 0 ? withMetrics : withoutMetrics, k == 0);
                if (k == 0) {
                    ch.pipeline().addBefore("relay", "spy", new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            if (msg instanceof AdmittedRequest a && a.rejection() != null) {
                                shedViaCodec.incrementAndGet();
                            }
                            ctx.fireChannelRead(msg);
                        }
                    });
                }
                int from = 0;
                for (int cut : cuts) {
                    if (ch.isOpen()) {
                        ch.writeInbound(Unpooled.wrappedBuffer(bytes, from, cut - from));
                    }
                    from = cut;
                }
                StringBuilder out = new StringBuilder();
                for (Object o; (o = ch.readOutbound()) != null; ) {
                    out.append(((ByteBuf) o).toString(StandardCharsets.ISO_8859_1));
                    ((ByteBuf) o).release();
                }
                answers[k] = out.toString();
                open[k] = ch.isOpen();
                ch.finishAndReleaseAll();
            }
            String shown = new String(bytes, StandardCharsets.ISO_8859_1);
            assertThat(answers[0]).as("seed %d, request %s", seed, shown).isEqualTo(answers[1]);
            assertThat(open[0]).as("seed %d, request %s", seed, shown).isEqualTo(open[1]);
            List<String> outcomes = outcomes(withMetrics);
            assertThat(outcomes).as("seed %d, request %s", seed, shown).isEqualTo(outcomes(withoutMetrics));
            compared++;
            shed += (int) outcomes.stream().filter(o -> o.startsWith("shed ")).count();
        }
        assertThat(compared).isEqualTo(RUNS);
        // Many were shed, and the early path answered a good share of them without the codec.
        int early = shed - shedViaCodec.get();
        System.out.println("Early-path differential fuzz: " + RUNS + " mutated requests, " + shed + " shed, " + early
                + " of them answered before the codec, seed " + seed);
        assertThat(shed).as("seed %d", seed).isGreaterThan(300);
        assertThat(early).as("answered early of %d shed, seed %d", shed, seed).isGreaterThan(shed / 10);
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
