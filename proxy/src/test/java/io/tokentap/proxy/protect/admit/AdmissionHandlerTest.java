package io.tokentap.proxy.protect.admit;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.tokentap.proxy.metrics.ProxyMetrics;
import io.tokentap.proxy.protect.ProtectionConfig;
import io.tokentap.proxy.protect.Protection;
import io.tokentap.proxy.protect.RejectReason;
import io.tokentap.proxy.protect.breaker.UpstreamBreaker;
import io.tokentap.proxy.protect.shed.UpstreamSignals;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class AdmissionHandlerTest {

    private static final String BODY = "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Hello world\"}]}";

    private final Protection protection = new Protection(ProtectionConfig.defaults()
            .withLimits(new ProtectionConfig.Limits(true, 1, 1_000_000, 4, 100, 100, Duration.ofMinutes(1)))
            .withMaxRequestBodyBytes(200),
            ProxyMetrics.NOOP, UpstreamSignals.NONE, "u", System::nanoTime, new Random(1), Runnable::run,
            UpstreamBreaker.Listener.NONE);

    private static HttpRequest head(String key) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/chat/completions");
        r.headers().set("authorization", "Bearer " + key);
        return r;
    }

    private static void sendBodyInTwoParts(EmbeddedChannel ch, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ch.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer(b, 0, 10)));
        ch.writeInbound(new DefaultLastHttpContent(Unpooled.copiedBuffer(b, 10, b.length - 10)));
    }

    @Test
    void anAdmittedRequestComesOutWholeWithItsTicket() {
        EmbeddedChannel ch = new EmbeddedChannel(new AdmissionHandler(protection));
        ch.writeInbound(head("k1"));
        assertThat((Object) ch.readInbound()).isNull(); // nothing passes before the body is whole
        sendBodyInTwoParts(ch, BODY);
        AdmittedRequest r = ch.readInbound();
        assertThat(r.ticket()).isNotNull();
        assertThat(r.rejection()).isNull();
        assertThat(r.ticket().estimatedTokens()).isGreaterThan(10);
        assertThat(r.headers().get("authorization")).isEqualTo("Bearer k1");
        LastHttpContent body = ch.readInbound();
        assertThat(body.content().toString(StandardCharsets.UTF_8)).isEqualTo(BODY);
        body.release();
        assertThat(protection.admission().inFlight()).isEqualTo(1);
        r.ticket().release(20);
        assertThat(protection.admission().inFlight()).isZero();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void aRejectedRequestComesOutWithItsRejectionAndNoBody() {
        EmbeddedChannel ch = new EmbeddedChannel(new AdmissionHandler(protection));
        ch.writeInbound(head("k2"));
        sendBodyInTwoParts(ch, BODY);
        AdmittedRequest first = ch.readInbound();
        ((LastHttpContent) ch.readInbound()).release();
        ch.writeInbound(head("k2"));
        sendBodyInTwoParts(ch, BODY);
        AdmittedRequest second = ch.readInbound();
        assertThat(second.ticket()).isNull();
        assertThat(second.rejection().reason()).isEqualTo(RejectReason.RATE);
        LastHttpContent empty = ch.readInbound();
        assertThat(empty.content().readableBytes()).isZero();
        first.ticket().release(1);
        ch.finishAndReleaseAll();
    }

    @Test
    void bodiesOverTheLimitAreTooLargeWhetherDeclaredOrNot() {
        EmbeddedChannel ch = new EmbeddedChannel(new AdmissionHandler(protection));
        HttpRequest declared = head("k3");
        declared.headers().set("content-length", "5000");
        ch.writeInbound(declared);
        AdmittedRequest r = ch.readInbound();
        assertThat(r.tooLarge()).isTrue();
        ((LastHttpContent) ch.readInbound()).release();
        ch.writeInbound(new DefaultLastHttpContent(Unpooled.copiedBuffer(new byte[300])));
        assertThat((Object) ch.readInbound()).isNull(); // the body of the refused request is dropped

        ch.writeInbound(head("k4"));
        ch.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer(new byte[150])));
        ch.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer(new byte[150])));
        AdmittedRequest chunked = ch.readInbound();
        assertThat(chunked.tooLarge()).isTrue();
        ((LastHttpContent) ch.readInbound()).release();
        ch.writeInbound(new DefaultLastHttpContent(Unpooled.copiedBuffer(new byte[10])));
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(protection.admission().inFlight()).isZero();
        ch.finishAndReleaseAll();
    }

    @Test
    void ticketsOfRequestsNeverStartedAreReleasedWhenTheConnectionCloses() {
        EmbeddedChannel ch = new EmbeddedChannel(new AdmissionHandler(protection));
        ch.writeInbound(head("k5"));
        sendBodyInTwoParts(ch, BODY);
        ch.writeInbound(head("k6"));
        ch.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer(new byte[5]))); // half a body buffered
        assertThat(protection.admission().inFlight()).isEqualTo(1);
        ch.finishAndReleaseAll();
        assertThat(protection.admission().inFlight()).isZero();
    }

    @Test
    void expectContinueIsAnsweredSoTheClientSendsItsBody() {
        EmbeddedChannel ch = new EmbeddedChannel(new AdmissionHandler(protection));
        HttpRequest r = head("k7");
        r.headers().set("expect", "100-continue");
        ch.writeInbound(r);
        FullHttpResponse cont = ch.readOutbound();
        assertThat(cont.status().code()).isEqualTo(100);
        cont.release();
        sendBodyInTwoParts(ch, BODY);
        AdmittedRequest admitted = ch.readInbound();
        assertThat(admitted.headers().contains("expect")).isFalse();
        admitted.ticket().release(1);
        ch.finishAndReleaseAll();
    }
}
