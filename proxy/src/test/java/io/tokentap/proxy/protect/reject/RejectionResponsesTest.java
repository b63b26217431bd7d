package io.tokentap.proxy.protect.reject;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.tokentap.proxy.metrics.ProxyMetrics;
import io.tokentap.proxy.protect.RateLimitStatus;
import io.tokentap.proxy.protect.RejectReason;
import io.tokentap.proxy.protect.Rejection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RejectionResponsesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> counted = new ArrayList<>();
    private final RejectionResponses responses = new RejectionResponses(new ProxyMetrics() {
        @Override
        public void rejected(String route, String model, String reason) {
            counted.add(route + "|" + model + "|" + reason);
        }
    });

    private static final RateLimitStatus STATUS = new RateLimitStatus(3, 0, TimeUnit.SECONDS.toNanos(60),
            1000, 250, TimeUnit.MILLISECONDS.toNanos(45_500));

    /** Writes the rejection through a real HTTP encoder and decodes the bytes as a client would. */
    private FullHttpResponse roundTrip(Rejection r, boolean keepAlive) {
        EmbeddedChannel server = new EmbeddedChannel(new HttpResponseEncoder(), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
                responses.write(ctx, r, "/v1/chat/completions", "gpt-4o", keepAlive);
            }
        });
        server.writeInbound(Unpooled.EMPTY_BUFFER);
        EmbeddedChannel client = new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 16));
        // The client codec must have seen a request to decode a response.
        client.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/"));
        releaseAll(client.outboundMessages());
        ByteBuf wire;
        while ((wire = server.readOutbound()) != null) {
            client.writeInbound(wire);
        }
        assertThat(server.isOpen()).isEqualTo(keepAlive);
        server.finishAndReleaseAll();
        FullHttpResponse response = client.readInbound();
        client.finishAndReleaseAll();
        return response;
    }

    private static void releaseAll(Queue<Object> q) {
        Object o;
        while ((o = q.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
    }

    @Test
    void aRateLimitIsA429InOpenAisShape() throws Exception {
        Rejection r = Rejection.rateLimited(RejectReason.RATE, "Rate limit reached for \"key\"", 20_000, STATUS);
        FullHttpResponse response = roundTrip(r, true);
        try {
            assertThat(response.status().code()).isEqualTo(429);
            assertThat(response.headers().get("content-type")).isEqualTo("application/json");
            assertThat(response.headers().get("retry-after")).isEqualTo("20");
            assertThat(response.headers().get("retry-after-ms")).isEqualTo("20000");
            assertThat(response.headers().get("x-ratelimit-limit-requests")).isEqualTo("3");
            assertThat(response.headers().get("x-ratelimit-remaining-requests")).isEqualTo("0");
            assertThat(response.headers().get("x-ratelimit-reset-requests")).isEqualTo("1m0s");
            assertThat(response.headers().get("x-ratelimit-limit-tokens")).isEqualTo("1000");
            assertThat(response.headers().get("x-ratelimit-remaining-tokens")).isEqualTo("250");
            assertThat(response.headers().get("x-ratelimit-reset-tokens")).isEqualTo("45.5s");
            assertThat(response.headers().get("connection")).isEqualTo("keep-alive");
            JsonNode body = JSON.readTree(response.content().toString(StandardCharsets.UTF_8));
            assertThat(body.get("error").get("message").asText()).isEqualTo("Rate limit reached for \"key\"");
            assertThat(body.get("error").get("type").asText()).isEqualTo("requests");
            assertThat(body.get("error").get("code").asText()).isEqualTo("rate_limit_exceeded");
            assertThat(body.get("error").get("param").isNull()).isTrue();
            assertThat(body.size()).isEqualTo(1);
            assertThat(counted).containsExactly("/v1/chat/completions|gpt-4o|rate");
        } finally {
            response.release();
        }
    }

    @Test
    void shedLoadIsA503WithRetryAfterAndClosesWhenAsked() throws Exception {
        FullHttpResponse response = roundTrip(Rejection.shed(1500), false);
        try {
            assertThat(response.status().code()).isEqualTo(503);
            assertThat(response.headers().get("retry-after")).isEqualTo("2");
            assertThat(response.headers().get("retry-after-ms")).isEqualTo("1500");
            assertThat(response.headers().contains("x-ratelimit-limit-requests")).isFalse();
            assertThat(response.headers().get("connection")).isEqualTo("close");
            JsonNode error = JSON.readTree(response.content().toString(StandardCharsets.UTF_8)).get("error");
            assertThat(error.get("type").asText()).isEqualTo("server_error");
            assertThat(counted).containsExactly("/v1/chat/completions|gpt-4o|shed");
        } finally {
            response.release();
        }
    }

    @Test
    void theEncodedBytesAreWhatTheEncoderWrites() {
        List<Rejection> all = List.of(
                Rejection.rateLimited(RejectReason.RATE, "Rate limit reached for \"key\" \u00e9", 20_000, STATUS),
                Rejection.rateLimited(RejectReason.CONCURRENCY, "Too many", 1000, STATUS),
                Rejection.shed(1500), Rejection.circuitOpen(0), Rejection.proxyFull(10, 1000),
                new Rejection(RejectReason.SHED, 503, "a\\b\n\u0001", "server_error", null, 7, null));
        for (Rejection r : all) {
            for (boolean keepAlive : new boolean[] {true, false}) {
                EmbeddedChannel encoder = new EmbeddedChannel(new HttpResponseEncoder());
                encoder.writeOutbound(RejectionResponses.toResponse(r, keepAlive));
                ByteBuf expected = Unpooled.buffer();
                for (ByteBuf part; (part = encoder.readOutbound()) != null; ) {
                    expected.writeBytes(part);
                    part.release();
                }
                encoder.finishAndReleaseAll();
                ByteBuf actual = RejectionResponses.encode(r, keepAlive, UnpooledByteBufAllocator.DEFAULT);
                try {
                    assertThat(actual.toString(StandardCharsets.ISO_8859_1)).as("%s keep-alive %s", r, keepAlive)
                            .isEqualTo(expected.toString(StandardCharsets.ISO_8859_1));
                    assertThat(actual.writableBytes()).as("sized exactly").isZero();
                } finally {
                    actual.release();
                    expected.release();
                }
            }
        }
    }

    @Test
    void anEncodedWriteIsCountedAndClosesWhenAsked() {
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        ChannelHandlerContext ctx = ch.pipeline().firstContext();
        responses.writeEncoded(ctx, Rejection.shed(1500), "/v1/completions", "unknown", false);
        ByteBuf wire = ch.readOutbound();
        try {
            assertThat(wire.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 503 Service Unavailable\r\n")
                    .contains("\r\nconnection: close\r\n");
        } finally {
            wire.release();
        }
        assertThat(ch.isOpen()).isFalse();
        assertThat(counted).containsExactly("/v1/completions|unknown|shed");
    }

    @Test
    void aWriteToAClosedChannelReleasesTheResponse() {
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        ChannelHandlerContext ctx = ch.pipeline().firstContext();
        ch.close();
        assertThat(responses.write(ctx, Rejection.circuitOpen(1000), "r", "m", true).isSuccess()).isFalse();
        assertThat(counted).containsExactly("r|m|circuit_open");
        // The leak detector (paranoid) fails this class if the response buffer was not released.
    }

    @Test
    void bodiesEscapeAndCodesMayBeNull() throws Exception {
        Rejection r = new Rejection(RejectReason.SHED, 503, "a\\b\n\u0001", "server_error", null, 0, null);
        String body = RejectionResponses.body(r);
        JsonNode error = JSON.readTree(body).get("error");
        assertThat(error.get("message").asText()).isEqualTo("a\\b\n\u0001");
        assertThat(error.get("code").isNull()).isTrue();
    }

    @Test
    void resetDurationsAreWrittenLikeOpenAi() {
        assertThat(RejectionResponses.goDuration(0)).isEqualTo("0s");
        assertThat(RejectionResponses.goDuration(17_000_000)).isEqualTo("17ms");
        assertThat(RejectionResponses.goDuration(16_500_001)).isEqualTo("17ms");
        assertThat(RejectionResponses.goDuration(1_000_000_000)).isEqualTo("1s");
        assertThat(RejectionResponses.goDuration(1_500_000_000)).isEqualTo("1.5s");
        assertThat(RejectionResponses.goDuration(TimeUnit.SECONDS.toNanos(360))).isEqualTo("6m0s");
        assertThat(RejectionResponses.goDuration(TimeUnit.MILLISECONDS.toNanos(61_020))).isEqualTo("1m1.02s");
        assertThat(RejectionResponses.goDuration(TimeUnit.MINUTES.toNanos(61))).isEqualTo("1h1m0s");
    }
}
