package io.tokentap.loadgen.exec;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.tokentap.core.stream.WireFormat;
import io.tokentap.loadgen.result.RequestOutcome;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Reads one connection's responses, one request at a time (HTTP/1.1 keep-alive, no pipelining). Each body slice is
 * timestamped on arrival and fed to the shared stream-core decoder, which reports into the request's timeline.
 * Stateful: one per channel. Buffers are released by {@link SimpleChannelInboundHandler} after each read.
 */
final class StreamClientHandler extends SimpleChannelInboundHandler<HttpObject> {

    private final ClientWorker worker;
    private final LongSupplier nanoTime;
    private final long abortAfterTokens;
    private final long readPauseNanos;
    private InFlightRequest current;

    StreamClientHandler(ClientWorker worker, LongSupplier nanoTime, long abortAfterTokens, long readPauseNanos) {
        this.worker = worker;
        this.nanoTime = nanoTime;
        this.abortAfterTokens = abortAfterTokens;
        this.readPauseNanos = readPauseNanos;
    }

    /** The request now being sent on this connection. */
    void begin(InFlightRequest r) {
        current = r;
    }

    InFlightRequest current() {
        return current;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
        InFlightRequest r = current;
        if (r == null || r.ended()) {
            return;
        }
        long now = nanoTime.getAsLong();
        if (msg instanceof HttpResponse resp) {
            r.timeline.firstByte(now);
            int status = resp.status().code();
            r.timeline.status(status);
            r.keepAlive = HttpUtil.isKeepAlive(resp);
            if (status == 429 || status == 503 || status == 529) {
                r.retryAfterNanos = retryAfterNanos(resp.headers());
            }
            String type = resp.headers().get(HttpHeaderNames.CONTENT_TYPE);
            r.decoder = WireFormat.detect(r.spec.route(), type).newDecoder(r.timeline);
        }
        if (msg instanceof HttpContent c) {
            if (c.content().isReadable()) {
                r.timeline.firstByte(now);
                r.decoder.feed(c.content(), now);
                r.intervals.flush(); // the gaps of this read's events are all in now
            }
            if (abortAfterTokens > 0 && r.timeline.contentEvents() >= abortAfterTokens && !(msg instanceof LastHttpContent)) {
                finish(ctx, r, now, RequestOutcome.CLIENT_CANCEL, false);
                return;
            }
            if (msg instanceof LastHttpContent) {
                r.decoder.end(now);
                RequestOutcome o = RequestOutcome.ofStatus(r.timeline.status());
                if (o == RequestOutcome.OK && r.timeline.streamError()) {
                    o = RequestOutcome.SERVER_ERROR;
                }
                finish(ctx, r, now, o, r.keepAlive);
            }
        }
    }

    /** Ends {@code r} and hands the connection back (or closes it when it cannot be reused). */
    void finish(ChannelHandlerContext ctx, InFlightRequest r, long now, RequestOutcome o, boolean reusable) {
        current = null;
        r.end(now, o);
        worker.released(ctx.channel(), reusable);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (readPauseNanos > 0 && current != null && ctx.channel().isActive()) {
            // The slow reader: auto-read is off; the next read is asked for only after the pause.
            ctx.executor().schedule(() -> {
                if (ctx.channel().isActive()) {
                    ctx.read();
                }
            }, readPauseNanos, TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        InFlightRequest r = current;
        current = null;
        if (r != null) {
            r.end(nanoTime.getAsLong(), RequestOutcome.CONNECTION_ERROR);
        }
        worker.closed(ctx.channel());
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        worker.connectionError(cause);
        ctx.close();
    }

    /** {@code retry-after-ms}, else {@code retry-after} in seconds (the HTTP-date form is ignored), or -1. */
    static long retryAfterNanos(io.netty.handler.codec.http.HttpHeaders h) {
        try {
            String ms = h.get("retry-after-ms");
            if (ms != null) {
                return Math.max(0, Math.round(Double.parseDouble(ms.trim()) * 1e6));
            }
            String sec = h.get(HttpHeaderNames.RETRY_AFTER);
            if (sec != null) {
                return Math.max(0, Math.round(Double.parseDouble(sec.trim()) * 1e9));
            }
        } catch (NumberFormatException e) {
            // an HTTP date or garbage: no usable delay
        }
        return -1;
    }
}
