package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RequestHeadTest {

    private static final String HEAD = "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: test\r\n"
            + "authorization:  Bearer sk-one \t\r\nAuthorization: Bearer sk-two\r\nContent-Length: 12\r\n"
            + "Connection: keep-alive\r\nX-Empty:\r\n\r\n";

    private final RequestHead head = new RequestHead(4096, 8192);

    private int parse(String bytes) {
        ByteBuf b = Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1);
        try {
            return head.parse(b);
        } finally {
            b.release();
        }
    }

    @Test
    void aPlainHeadIsReadWhole() {
        ByteBuf b = Unpooled.copiedBuffer("xx" + HEAD + "{\"model\":1}", StandardCharsets.ISO_8859_1);
        try {
            b.skipBytes(2);
            assertThat(head.parse(b)).isEqualTo(HEAD.length());
            assertThat(b.readerIndex()).as("not moved").isEqualTo(2);
            assertThat(head.method()).isEqualTo("POST");
            assertThat(head.uri()).isEqualTo("/v1/chat/completions?x=1");
            assertThat(head.path()).isEqualTo("/v1/chat/completions");
            assertThat(head.contentLength()).isEqualTo(12);
            assertThat(head.keepAlive()).isTrue();
            // The first value, any case of the name, trimmed of spaces and tabs.
            assertThat(head.get("AUTHORIZATION")).isEqualTo("Bearer sk-one");
            assertThat(head.get("x-empty")).isEmpty();
            assertThat(head.get("x-api-key")).isNull();
        } finally {
            b.release();
        }
    }

    @Test
    void withoutALengthTheBodyIsEmptyAndCloseIsHeard() {
        assertThat(parse("GET /v1/models HTTP/1.1\r\nConnection: Close\r\n\r\n")).isPositive();
        assertThat(head.contentLength()).isZero();
        assertThat(head.keepAlive()).isFalse();
        assertThat(head.get("content-length")).isNull();
        assertThat(parse("GET / HTTP/1.1\r\nconnection: keep-alive , close\r\n\r\n")).isPositive();
        assertThat(head.keepAlive()).isFalse();
    }

    @Test
    void everyCutOfAHeadIsIncomplete() {
        for (int i = 0; i < HEAD.length(); i++) {
            assertThat(parse(HEAD.substring(0, i))).as("cut at %d", i).isEqualTo(RequestHead.INCOMPLETE);
        }
    }

    @Test
    void anUnfinishedHeadThatCanNoLongerBeTheShapeIsLeftToTheCodecAtOnce() {
        for (String r : List.of("\u008fE", "post", "POSTPOSTPOSTPOSTPOST", "POST  ", "POST x", "POST /\u00e9",
                "POST / HTTP/1.0", "POST / HTTP/1.1\rX", "GET / HTTP/1.1\r\nHost x", "GET / HTTP/1.1\r\nX: caf\u00e9",
                "GET / HTTP/1.1\r\n folded", "GET / HTTP/1.1\r\nX: a\rb")) {
            assertThat(parse(r)).as(r).isEqualTo(RequestHead.REFUSED);
        }
        for (String r : List.of("P", "POST", "POST ", "POST /v1", "POST /v1 HTTP/1", "POST / HTTP/1.1\r",
                "GET / HTTP/1.1\r\nHo", "GET / HTTP/1.1\r\nHost:", "GET / HTTP/1.1\r\nHost: a b\t",
                "GET / HTTP/1.1\r\nHost: x\r", "GET / HTTP/1.1\r\nHost: x\r\n\r")) {
            assertThat(parse(r)).as(r).isEqualTo(RequestHead.INCOMPLETE);
        }
    }

    @Test
    void anythingOutsideTheStrictShapeIsLeftToTheCodec() {
        List<String> refused = List.of(
                "POST /v1 HTTP/1.0\r\n\r\n",
                "HEAD / HTTP/1.1\r\n\r\n",
                "CONNECT host:443 HTTP/1.1\r\n\r\n",
                "post / HTTP/1.1\r\n\r\n",
                "POST http://x/ HTTP/1.1\r\n\r\n",
                "POST  / HTTP/1.1\r\n\r\n",
                "POST / HTTP/1.1 \r\n\r\n",
                "POST /\u00e9 HTTP/1.1\r\n\r\n",
                "POST / HTTP/1.1\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\n\r\n",
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                "POST / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
                "POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n",
                "POST / HTTP/1.1\r\nContent-Length: +2\r\n\r\n",
                "POST / HTTP/1.1\r\nContent-Length: 2 2\r\n\r\n",
                "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n",
                "POST / HTTP/1.1\r\nContent-Length: 1234567890123456789\r\n\r\n",
                "POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n",
                "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
                "GET / HTTP/1.1\r\nConnection: TE\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
                "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
                "GET / HTTP/1.1\r\n: x\r\n\r\n",
                "GET / HTTP/1.1\r\nHost x\r\n\r\n",
                "GET / HTTP/1.1\r\nX-A: caf\u00e9\r\n\r\n",
                "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n",
                "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n");
        for (String r : refused) {
            assertThat(parse(r)).as(r).isEqualTo(RequestHead.REFUSED);
        }
    }

    @Test
    void theCodecsLimitsAreKept() {
        RequestHead small = new RequestHead(32, 64);
        ByteBuf longLine = Unpooled.copiedBuffer("GET /" + "a".repeat(40) + " HTTP/1.1\r\n\r\n",
                StandardCharsets.US_ASCII);
        ByteBuf longHeaders = Unpooled.copiedBuffer("GET / HTTP/1.1\r\nX-A: " + "b".repeat(70) + "\r\n\r\n",
                StandardCharsets.US_ASCII);
        ByteBuf endless = Unpooled.copiedBuffer("GET / HTTP/1.1\r\nX-A: " + "c".repeat(70),
                StandardCharsets.US_ASCII);
        ByteBuf manyHeaders = Unpooled.copiedBuffer("GET / HTTP/1.1\r\n" + "A: b\r\n".repeat(65) + "\r\n",
                StandardCharsets.US_ASCII);
        try {
            assertThat(small.parse(longLine)).isEqualTo(RequestHead.REFUSED);
            assertThat(small.parse(longHeaders)).isEqualTo(RequestHead.REFUSED);
            assertThat(small.parse(endless)).as("no end within the limit").isEqualTo(RequestHead.REFUSED);
            assertThat(head.parse(manyHeaders)).isEqualTo(RequestHead.REFUSED);
        } finally {
            longLine.release();
            longHeaders.release();
            endless.release();
            manyHeaders.release();
        }
    }
}
