package io.tokentap.proxy.relay;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.tokentap.proxy.config.UpstreamConfig;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The header work of the relay: each message's hop-by-hop headers are dropped (RFC 9110 section 7.6.1) and the
 * relay sets its own framing and connection headers for the side it writes to; the forwarding headers are added on
 * the way up; and the relay's own answers (502, 503, 400) are built here.
 */
final class RelayHeaders {

    static final String X_ACCEL_BUFFERING = "x-accel-buffering";
    static final String X_FORWARDED_FOR = "x-forwarded-for";
    static final String X_FORWARDED_HOST = "x-forwarded-host";
    static final String X_FORWARDED_PROTO = "x-forwarded-proto";

    private RelayHeaders() {
    }

    /** Rewrites a client's request head in place for the upstream. */
    static void toUpstream(HttpRequest req, UpstreamConfig up, boolean preserveHost, SocketAddress clientAddress) {
        HttpHeaders h = req.headers();
        boolean chunked = HttpUtil.isTransferEncodingChunked(req);
        String originalHost = h.get(HttpHeaderNames.HOST);
        HopByHopHeaders.strip(h);
        if (chunked) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            h.remove(HttpHeaderNames.CONTENT_LENGTH);
        }
        req.setProtocolVersion(HttpVersion.HTTP_1_1);
        String prefix = up.pathPrefix();
        if (!prefix.isEmpty()) {
            req.setUri(prefix + (req.uri().startsWith("/") ? "" : "/") + req.uri());
        }
        if (clientAddress instanceof InetSocketAddress isa && isa.getAddress() != null) {
            String ip = isa.getAddress().getHostAddress();
            String prior = h.get(X_FORWARDED_FOR);
            h.set(X_FORWARDED_FOR, prior == null || prior.isBlank() ? ip : prior + ", " + ip);
        }
        if (originalHost != null && !h.contains(X_FORWARDED_HOST)) {
            h.set(X_FORWARDED_HOST, originalHost);
        }
        if (!h.contains(X_FORWARDED_PROTO)) {
            h.set(X_FORWARDED_PROTO, "http");
        }
        if (!preserveHost || originalHost == null) {
            h.set(HttpHeaderNames.HOST, up.authority());
        }
    }

    /**
     * Rewrites an upstream response head in place for the client.
     *
     * @param bodyless the response has no body whatever its headers say (HEAD, 204, 304)
     * @return whether the client connection can stay open after this response
     */
    static boolean toClient(HttpResponse r, HttpVersion clientVersion, boolean clientKeepAlive, boolean bodyless) {
        HttpHeaders h = r.headers();
        boolean hasLength = h.contains(HttpHeaderNames.CONTENT_LENGTH);
        String contentType = h.get(HttpHeaderNames.CONTENT_TYPE);
        HopByHopHeaders.strip(h);
        r.setProtocolVersion(clientVersion);
        boolean keepAlive = clientKeepAlive;
        if (!hasLength && !bodyless) {
            if (clientVersion.equals(HttpVersion.HTTP_1_1)) {
                h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else {
                keepAlive = false; // an HTTP/1.0 client learns where the body ends from the close
            }
            // Tell an nginx ingress in front of the sidecar not to buffer what we stream.
            h.set(X_ACCEL_BUFFERING, "no");
        } else if (isStreamingType(contentType)) {
            h.set(X_ACCEL_BUFFERING, "no");
        }
        if (!keepAlive) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (!clientVersion.isKeepAliveDefault()) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return keepAlive;
    }

    /** A 1xx response (100 Continue) to pass on to the client. */
    static FullHttpResponse informational(HttpResponse r, HttpVersion clientVersion) {
        HttpHeaders h = r.headers();
        HopByHopHeaders.strip(h);
        return new DefaultFullHttpResponse(clientVersion, r.status(), Unpooled.EMPTY_BUFFER, h,
                new DefaultHttpHeaders());
    }

    static boolean isStreamingType(String contentType) {
        if (contentType == null) {
            return false;
        }
        String ct = contentType.toLowerCase(Locale.ROOT);
        return ct.startsWith("text/event-stream") || ct.contains("ndjson");
    }

    /** An answer of the relay's own, in the JSON error shape OpenAI-compatible clients understand. */
    static FullHttpResponse error(HttpVersion version, HttpResponseStatus status, String type, String message,
                                  boolean keepAlive) {
        byte[] body = ("{\"error\":{\"message\":\"" + message + "\",\"type\":\"" + type + "\",\"code\":"
                + status.code() + "}}\n").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(version, status, Unpooled.wrappedBuffer(body));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (!keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (!version.isKeepAliveDefault()) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return res;
    }

    /** The status for a request the HTTP decoder could not parse. */
    static HttpResponseStatus statusForMalformed(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return HttpResponseStatus.REQUEST_URI_TOO_LONG;
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        }
        if (cause instanceof TooLongFrameException) {
            return HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
        }
        return HttpResponseStatus.BAD_REQUEST;
    }
}
