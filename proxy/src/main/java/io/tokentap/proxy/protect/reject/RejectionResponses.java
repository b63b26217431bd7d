package io.tokentap.proxy.protect.reject;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.ReadOnlyHttpHeaders;
import io.netty.util.AsciiString;
import io.tokentap.proxy.metrics.ProxyMetrics;
import io.tokentap.proxy.protect.RateLimitStatus;
import io.tokentap.proxy.protect.Rejection;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Answers a rejected request the way OpenAI does, so that every OpenAI-compatible client backs off correctly:
 *
 * <pre>
 * HTTP/1.1 429 Too Many Requests
 * content-type: application/json
 * retry-after: 20
 * retry-after-ms: 20000
 * x-ratelimit-limit-requests: 3
 * x-ratelimit-remaining-requests: 0
 * x-ratelimit-reset-requests: 1m0s
 * x-ratelimit-limit-tokens: 1000 ...
 *
 * {"error":{"message":"Rate limit reached ...","type":"requests","param":null,"code":"rate_limit_exceeded"}}
 * </pre>
 *
 * and counts it by reason through {@link ProxyMetrics#rejected}. Stateless and thread-safe; one instance serves
 * every channel.
 */
public final class RejectionResponses {

    public static final AsciiString RETRY_AFTER_MS = AsciiString.cached("retry-after-ms");
    public static final AsciiString LIMIT_REQUESTS = AsciiString.cached("x-ratelimit-limit-requests");
    public static final AsciiString LIMIT_TOKENS = AsciiString.cached("x-ratelimit-limit-tokens");
    public static final AsciiString REMAINING_REQUESTS = AsciiString.cached("x-ratelimit-remaining-requests");
    public static final AsciiString REMAINING_TOKENS = AsciiString.cached("x-ratelimit-remaining-tokens");
    public static final AsciiString RESET_REQUESTS = AsciiString.cached("x-ratelimit-reset-requests");
    public static final AsciiString RESET_TOKENS = AsciiString.cached("x-ratelimit-reset-tokens");

    /** The two status lines a rejection has ({@link Rejection} allows 429 and 503 only). */
    private static final byte[] STATUS_429 = statusLine(HttpResponseStatus.TOO_MANY_REQUESTS);
    private static final byte[] STATUS_503 = statusLine(HttpResponseStatus.SERVICE_UNAVAILABLE);
    private static final int CRLF = ('\r' << 8) | '\n';
    private static final int COLON_SPACE = (':' << 8) | ' ';

    private final ProxyMetrics metrics;

    public RejectionResponses(ProxyMetrics metrics) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /**
     * Counts the rejection and writes it. The response's buffer belongs to the pipeline from here on (released by
     * the encoder, or by Netty if the write fails). With {@code keepAlive} false the connection closes once the
     * response is written; the relay passes false when the request body was not read to its end.
     *
     * @return the write's future when the connection closes after it; with {@code keepAlive} the channel's void
     *         promise, as for every other answer the relay writes on a connection that stays open: nothing waits for
     *         it, a failed write reaches {@code exceptionCaught}, and the HTTP encoder (which recognises that very
     *         promise) writes the head and body buffers without combining their promises
     */
    public ChannelFuture write(ChannelHandlerContext ctx, Rejection rejection, String route, String model,
                               boolean keepAlive) {
        metrics.rejected(route, model, rejection.reason().label());
        FullHttpResponse response = toResponse(rejection, keepAlive);
        if (keepAlive) {
            return ctx.writeAndFlush(response, ctx.voidPromise());
        }
        return ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Counts the rejection and writes it as the bytes {@link #encode} makes, from {@code writer}: a context before
     * the HTTP codec, for a request the codec never saw (so its queue of request methods stays in step). Returns as
     * {@link #write} does.
     */
    public ChannelFuture writeEncoded(ChannelHandlerContext writer, Rejection rejection, String route, String model,
                                      boolean keepAlive) {
        metrics.rejected(route, model, rejection.reason().label());
        ByteBuf bytes = encode(rejection, keepAlive, writer.alloc());
        if (keepAlive) {
            return writer.writeAndFlush(bytes, writer.voidPromise());
        }
        return writer.writeAndFlush(bytes).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * The rejection as an HTTP/1.1 response; the caller owns it (and must write or release it). Its headers are
     * read-only: a flat array the encoder walks once, which costs a fraction of a hashed header map on the path a
     * storm of rejections takes.
     */
    public static FullHttpResponse toResponse(Rejection rejection, boolean keepAlive) {
        byte[] json = bodyBytes(rejection);
        // A heap array of our own: no pooled buffer to allocate and track, and the encoder copies it behind the head.
        ByteBuf content = Unpooled.wrappedBuffer(json);
        // Every name and value is built here from numbers and constants: validating them again is waste.
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(rejection.status()),
                content, new ReadOnlyHttpHeaders(false, headers(rejection, keepAlive, json.length)),
                EmptyHttpHeaders.INSTANCE);
    }

    /**
     * The bytes Netty's HTTP encoder writes for {@link #toResponse}, made directly into one buffer of
     * {@code alloc}'s: the status line, one {@code name: value} line per header, an empty line, the JSON body.
     */
    public static ByteBuf encode(Rejection rejection, boolean keepAlive, ByteBufAllocator alloc) {
        byte[] json = bodyBytes(rejection);
        CharSequence[] h = headers(rejection, keepAlive, json.length);
        byte[] statusLine = rejection.status() == 429 ? STATUS_429 : STATUS_503;
        int size = statusLine.length + 2 + json.length;
        for (int i = 0; i < h.length; i += 2) {
            size += h[i].length() + 2 + h[i + 1].length() + 2;
        }
        ByteBuf b = alloc.directBuffer(size);
        b.writeBytes(statusLine);
        for (int i = 0; i < h.length; i += 2) {
            ascii(b, h[i]);
            b.writeShort(COLON_SPACE);
            ascii(b, h[i + 1]);
            b.writeShort(CRLF);
        }
        b.writeShort(CRLF);
        b.writeBytes(json);
        return b;
    }

    private static byte[] statusLine(HttpResponseStatus status) {
        return (HttpVersion.HTTP_1_1 + " " + status + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static void ascii(ByteBuf b, CharSequence s) {
        if (s instanceof AsciiString a) {
            ByteBufUtil.copy(a, b);
        } else {
            b.writeCharSequence(s, StandardCharsets.US_ASCII);
        }
    }

    private static byte[] bodyBytes(Rejection rejection) {
        byte[] json = AsciiFields.errorBody(rejection.message(), rejection.type(), rejection.code());
        return json != null ? json : body(rejection).getBytes(StandardCharsets.UTF_8);
    }

    /** The response's headers as name, value, name, value, ...: every value an {@link AsciiString}. */
    private static CharSequence[] headers(Rejection rejection, boolean keepAlive, int contentLength) {
        long ms = rejection.retryAfterMillis();
        RateLimitStatus s = rejection.limits();
        CharSequence connection = keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE;
        // Every value is an AsciiString, which the encoder copies in one go instead of a character at a time.
        return s == null
                ? new CharSequence[] {
                    HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON,
                    HttpHeaderNames.CONTENT_LENGTH, AsciiFields.number(contentLength),
                    HttpHeaderNames.RETRY_AFTER, AsciiFields.number((ms + 999) / 1000),
                    RETRY_AFTER_MS, AsciiFields.number(ms),
                    HttpHeaderNames.CONNECTION, connection}
                : new CharSequence[] {
                    HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON,
                    HttpHeaderNames.CONTENT_LENGTH, AsciiFields.number(contentLength),
                    HttpHeaderNames.RETRY_AFTER, AsciiFields.number((ms + 999) / 1000),
                    RETRY_AFTER_MS, AsciiFields.number(ms),
                    LIMIT_REQUESTS, AsciiFields.number(s.limitRequests()),
                    REMAINING_REQUESTS, AsciiFields.number(s.remainingRequests()),
                    RESET_REQUESTS, AsciiFields.goDuration(s.resetRequestsNanos()),
                    LIMIT_TOKENS, AsciiFields.number(s.limitTokens()),
                    REMAINING_TOKENS, AsciiFields.number(s.remainingTokens()),
                    RESET_TOKENS, AsciiFields.goDuration(s.resetTokensNanos()),
                    HttpHeaderNames.CONNECTION, connection};
    }

    /** Adds the six {@code x-ratelimit-*} headers, as OpenAI sends on every response. */
    public static void addRateLimitHeaders(HttpHeaders h, RateLimitStatus s) {
        h.set(LIMIT_REQUESTS, Long.toString(s.limitRequests()));
        h.set(REMAINING_REQUESTS, Long.toString(s.remainingRequests()));
        h.set(RESET_REQUESTS, goDuration(s.resetRequestsNanos()));
        h.set(LIMIT_TOKENS, Long.toString(s.limitTokens()));
        h.set(REMAINING_TOKENS, Long.toString(s.remainingTokens()));
        h.set(RESET_TOKENS, goDuration(s.resetTokensNanos()));
    }

    /** The JSON body, {@code {"error":{"message":…,"type":…,"param":null,"code":…}}}. */
    public static String body(Rejection r) {
        StringBuilder b = new StringBuilder(96 + r.message().length());
        b.append("{\"error\":{\"message\":");
        quote(b, r.message());
        b.append(",\"type\":");
        quote(b, r.type());
        b.append(",\"param\":null,\"code\":");
        if (r.code() == null) {
            b.append("null");
        } else {
            quote(b, r.code());
        }
        return b.append("}}").toString();
    }

    /**
     * A duration as OpenAI's reset headers write it (Go's {@code time.Duration} style): {@code 0s}, {@code 20ms},
     * {@code 1s}, {@code 1.5s}, {@code 6m0s}, {@code 1h0m0s}; rounded up to the millisecond.
     */
    public static String goDuration(long nanos) {
        return AsciiFields.goDuration(nanos).toString();
    }

    private static void quote(StringBuilder b, String s) {
        b.append('"');
        int plain = 0;
        while (plain < s.length() && s.charAt(plain) >= 0x20 && s.charAt(plain) != '"' && s.charAt(plain) != '\\') {
            plain++;
        }
        b.append(s, 0, plain); // the common case, a message with nothing to escape, is one copy
        for (int i = plain; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    b.append("\\\"");
                    break;
                case '\\':
                    b.append("\\\\");
                    break;
                case '\n':
                    b.append("\\n");
                    break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        b.append('"');
    }
}
