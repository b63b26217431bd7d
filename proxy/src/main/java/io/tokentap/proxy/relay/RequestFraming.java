package io.tokentap.proxy.relay;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;
import java.util.Locale;

/**
 * Refuses the request-smuggling shapes Netty's decoder lets through: a request with both {@code Content-Length} and
 * {@code Transfer-Encoding} (Netty drops the length and reads the body as chunked, RFC 9112 section 6.3 allows that,
 * but a front end that reads the length instead would see a different request), and a {@code Transfer-Encoding}
 * whose last coding is not {@code chunked}. Such a request's decoder result is set to a failure, so the relay
 * answers 400 and closes the connection, as it does for every other malformed request (duplicate
 * {@code Content-Length}s and invalid chunk sizes, which the decoder refuses itself).
 *
 * <p>The decoder removes the length before any handler sees the request, so the headers it builds are
 * {@link Headers}, which remember the removal.
 */
@ChannelHandler.Sharable
final class RequestFraming extends ChannelInboundHandlerAdapter {

    RequestFraming() {
    }

    /** The decoder settings of the client side, with headers that remember a dropped Content-Length. */
    static HttpDecoderConfig decoderConfig(int maxInitialLineBytes, int maxHeaderBytes) {
        DefaultHttpHeadersFactory d = DefaultHttpHeadersFactory.headersFactory();
        return new HttpDecoderConfig()
                .setMaxInitialLineLength(maxInitialLineBytes)
                .setMaxHeaderSize(maxHeaderBytes)
                .setMaxChunkSize(8192)
                .setAllowDuplicateContentLengths(false)
                .setHeadersFactory(new HttpHeadersFactory() {
                    @Override
                    public HttpHeaders newHeaders() {
                        return new Headers(d);
                    }

                    @Override
                    public HttpHeaders newEmptyHeaders() {
                        return new Headers(d);
                    }
                });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest r && r.decoderResult().isSuccess()) {
            String problem = problem(r.headers());
            if (problem != null) {
                r.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(problem)));
            }
        }
        ctx.fireChannelRead(msg);
    }

    static String problem(HttpHeaders h) {
        List<String> te = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (te.isEmpty()) {
            return null;
        }
        if (h.contains(HttpHeaderNames.CONTENT_LENGTH)
                || (h instanceof Headers mine && mine.contentLengthDropped)) {
            return "Content-Length and Transfer-Encoding together";
        }
        String all = String.join(",", te);
        String[] codings = all.split(",");
        String lastCoding = codings[codings.length - 1].strip().toLowerCase(Locale.ROOT);
        if (!lastCoding.equals("chunked")) {
            return "Transfer-Encoding does not end with chunked: " + all;
        }
        return null;
    }

    /** Headers that remember whether the decoder dropped a Content-Length. */
    static final class Headers extends DefaultHttpHeaders {
        boolean contentLengthDropped;

        Headers(DefaultHttpHeadersFactory d) {
            super(d.getNameValidator(), d.getValueValidator());
        }

        @Override
        public HttpHeaders remove(CharSequence name) {
            if (!contentLengthDropped && HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
                    && contains(name)) {
                contentLengthDropped = true;
            }
            return super.remove(name);
        }
    }
}
