package io.tokentap.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.tokentap.core.stream.Outcome;
import io.tokentap.core.stream.StreamDecoder;
import io.tokentap.core.stream.Usage;
import io.tokentap.core.timeline.RequestTimeline;
import io.tokentap.proxy.config.UpstreamConfig;
import io.tokentap.proxy.protect.Protection;
import io.tokentap.proxy.protect.RateLimitStatus;
import io.tokentap.proxy.protect.Rejection;
import io.tokentap.proxy.protect.TimeoutKind;
import io.tokentap.proxy.protect.admit.AdmittedRequest;
import io.tokentap.proxy.protect.breaker.UpstreamFailure;
import io.tokentap.proxy.protect.reject.RejectionResponses;
import io.tokentap.proxy.protect.retry.RetryDecision;
import io.tokentap.proxy.protect.retry.RetryPolicy;
import io.tokentap.proxy.protect.retry.RetryTrigger;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The client side of the relay, one per client connection. It takes one request at a time (HTTP/1.1 keep-alive;
 * a pipelined request waits, with reads paused, until the previous response is complete), borrows an upstream
 * connection on its own event loop, and relays both bodies as they arrive: every upstream read is written and
 * flushed to the client at once, then shown to the timing tap.
 *
 * <p>Backpressure: when the client cannot take more, the upstream connection stops reading (and the server's
 * socket buffer fills, which slows the server's writes); when the upstream cannot take more request body, the
 * client connection stops reading. What the proxy holds per stream is therefore bounded by the write-buffer
 * high-water mark plus one read.
 *
 * <p>Protection (when the server has a {@link Protection}): an {@code AdmissionHandler} before this one has read
 * the request whole and admitted or rejected it; rejections are answered here, in request order. Each attempt asks
 * the circuit breaker first; an upstream 429/503/529, a failed connect or a reset before anything reached the client
 * is retried after the policy's delay, scheduled on this event loop with the request kept for it; the four
 * timeouts (connect, first byte, idle, total) each end the request with a timeout outcome and their own error type.
 */
final class ClientRelayHandler extends ChannelInboundHandlerAdapter {

    private static final String X_ACCEL_BUFFERING = "x-accel-buffering";
    private static final String X_FORWARDED_FOR = "x-forwarded-for";
    private static final String X_FORWARDED_HOST = "x-forwarded-host";
    private static final String X_FORWARDED_PROTO = "x-forwarded-proto";

    private final RelayContext rc;
    private final ReadStamp stamp;
    /** Request parts that cannot be relayed yet: the upstream is being acquired, or a pipelined request waits. */
    private final ArrayDeque<HttpObject> inbox = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private Exchange exchange;
    private boolean draining;
    private boolean requestBodyPaused;
    private boolean closing;

    ClientRelayHandler(RelayContext rc, ReadStamp stamp) {
        this.rc = rc;
        this.stamp = stamp;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    // ---- request path: client -> upstream ------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject o) || closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        inbox.add(o);
        drain();
    }

    private void drain() {
        if (draining) {
            return; // the outer loop continues with the new state
        }
        draining = true;
        try {
            while (!inbox.isEmpty() && !closing && canTake(inbox.peek())) {
                HttpObject o = inbox.poll();
                if (o instanceof HttpRequest r) {
                    startExchange(r);
                    if (o instanceof HttpContent c) {
                        onRequestContent(c);
                    }
                } else {
                    onRequestContent((HttpContent) o);
                }
            }
        } finally {
            draining = false;
        }
        updateAutoRead();
    }

    private boolean canTake(HttpObject o) {
        if (o instanceof HttpRequest) {
            return exchange == null;
        }
        // Body parts wait while the upstream connection is being acquired.
        return exchange == null || exchange.responseDone || exchange.upstream != null;
    }

    private void updateAutoRead() {
        boolean waitingForUpstream = exchange != null && exchange.upstream == null && !exchange.responseDone;
        boolean read = !closing && inbox.isEmpty() && !requestBodyPaused && !waitingForUpstream;
        Channel ch = ctx.channel();
        if (ch.config().isAutoRead() != read) {
            ch.config().setAutoRead(read);
        }
    }

    private void startExchange(HttpRequest req) {
        if (req.decoderResult().isFailure()) {
            rejectMalformed(req);
            return;
        }
        String uri = req.uri();
        int q = uri.indexOf('?');
        String route = q < 0 ? uri : uri.substring(0, q);
        Exchange ex = new Exchange(req.method().name(), route, req.protocolVersion(), stamp.lastReadNanos(),
                new ModelPeek(rc.json(), rc.config().relay().modelPeekBytes()));
        ex.clientKeepAlive = HttpUtil.isKeepAlive(req);
        exchange = ex;

        Protection p = rc.protection();
        if (req instanceof AdmittedRequest g) {
            if (g.tooLarge()) {
                rejectTooLarge(ex);
                return;
            }
            if (g.rejection() != null) {
                respondRejection(ex, g.rejection());
                return;
            }
            ex.ticket = g.ticket();
        }
        prepareUpstreamRequest(req);
        if (p != null) {
            long now = System.nanoTime();
            ex.retry = p.retries().start(route, now);
            ex.headCopy = copyOf(req);
            ex.totalTimer = schedule(ex, TimeoutKind.TOTAL,
                    p.config().timeouts().total().toNanos() - (now - ex.timeline.startNanos()));
            if (!acquireBreaker(ex)) {
                return;
            }
        }
        ex.pendingRequest = req;
        acquire(ex);
    }

    private void acquire(Exchange ex) {
        Future<Channel> f = rc.pool().acquire(ctx.channel().eventLoop());
        if (f.isDone()) {
            onAcquired(ex, f);
        } else {
            f.addListener(done -> onAcquired(ex, f));
        }
    }

    private void prepareUpstreamRequest(HttpRequest req) {
        HttpHeaders h = req.headers();
        UpstreamConfig up = rc.config().upstream();
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
        SocketAddress remote = ctx.channel().remoteAddress();
        if (remote instanceof InetSocketAddress isa && isa.getAddress() != null) {
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
        if (!rc.config().relay().preserveHost() || originalHost == null) {
            h.set(HttpHeaderNames.HOST, up.authority());
        }
    }

    private void onAcquired(Exchange ex, Future<Channel> f) {
        if (!f.isSuccess()) {
            if (exchange != ex || closing) {
                return;
            }
            Throwable cause = f.cause();
            boolean poolFull = cause instanceof TimeoutException || cause instanceof IllegalStateException;
            if (poolFull) {
                safe(() -> rc.metrics().rejected(ex.route, ex.model(), "concurrency"));
                respondError(ex, HttpResponseStatus.SERVICE_UNAVAILABLE, "upstream_busy",
                        "all upstream connections are busy", Outcome.SHED);
            } else {
                rc.errors().report("upstream", cause, ex);
                if (ex.retry != null) {
                    boolean timeout = cause instanceof ConnectTimeoutException;
                    breakerFailure(ex, timeout ? UpstreamFailure.TIMEOUT : UpstreamFailure.CONNECT);
                    if (tryRetry(ex, RetryTrigger.CONNECT_FAILURE, 0, -1)) {
                        return;
                    }
                    if (timeout) {
                        timedOut(ex, TimeoutKind.CONNECT);
                        return;
                    }
                }
                respondError(ex, HttpResponseStatus.BAD_GATEWAY, "upstream_unavailable",
                        "cannot connect to the upstream", Outcome.UPSTREAM_RESET);
            }
            return;
        }
        Channel up = f.getNow();
        if (exchange != ex || closing || ex.responseDone) {
            // The client went away while we waited; nothing was sent, so the connection is as good as new.
            rc.pool().release(up, up.isActive());
            return;
        }
        ex.upstream = up;
        up.pipeline().get(UpstreamRelayHandler.class).attach(this, ex);
        up.config().setAutoRead(ctx.channel().isWritable());
        HttpRequest head = ex.pendingRequest;
        ex.pendingRequest = null;
        up.writeAndFlush(head, up.voidPromise());
        if (ex.retry != null) {
            ex.attemptStartNanos = System.nanoTime();
            if (ex.requestDone && ex.bodyCopy != null) {
                // A retry: the body was read (and kept) during the first attempt.
                up.writeAndFlush(ex.bodyCopy.retainedDuplicate(), up.voidPromise());
            }
            ex.firstByteTimer = schedule(ex, TimeoutKind.FIRST_BYTE,
                    rc.protection().config().timeouts().firstByte().toNanos());
        }
        if (!up.isWritable()) {
            requestBodyPaused = true;
        }
        drain();
    }

    private void onRequestContent(HttpContent c) {
        Exchange ex = exchange;
        if (ex == null || ex.requestDone) {
            c.release(); // a body part of a request that was already answered
            return;
        }
        boolean last = c instanceof LastHttpContent;
        if (!ex.peek.done()) {
            ex.peek.feed(c.content());
            if (last) {
                ex.peek.end();
            }
            if (ex.peek.done()) {
                announce(ex);
            }
        }
        if (last) {
            ex.requestDone = true;
            if (ex.retry != null && !ex.finished && ex.bodyCopy == null) {
                ex.bodyCopy = ((LastHttpContent) c).retainedDuplicate();
            }
        }
        Channel up = ex.upstream;
        if (ex.responseDone || up == null || !up.isActive()) {
            c.release();
        } else {
            ex.bodyPartRelayed = true;
            up.writeAndFlush(c, up.voidPromise());
            if (!up.isWritable()) {
                requestBodyPaused = true;
            }
        }
        if (last && ex.responseDone) {
            exchangeComplete(ex);
        }
    }

    void onUpstreamWritabilityChanged(Exchange ex) {
        if (ex == exchange && requestBodyPaused && ex.upstream != null && ex.upstream.isWritable()) {
            requestBodyPaused = false;
            updateAutoRead();
        }
    }

    // ---- response path: upstream -> client -----------------------------------------------------------------

    void onUpstreamResponse(Exchange ex, HttpResponse r, long nanos) {
        int code = r.status().code();
        if (code < 200 && code != 101) {
            // 100 Continue and friends: pass on, and wait for the final response.
            HttpHeaders h = r.headers();
            HopByHopHeaders.strip(h);
            FullHttpResponse info = new DefaultFullHttpResponse(ex.clientVersion, r.status(), Unpooled.EMPTY_BUFFER,
                    h, new DefaultHttpHeaders());
            ex.swallowNextLast = true;
            ctx.writeAndFlush(info, ctx.voidPromise());
            return;
        }
        if (ex.retry != null && !ex.responseStarted && protectedResponse(ex, r, code, nanos)) {
            return; // dropped: the request is tried again
        }
        RequestTimeline t = ex.timeline;
        t.firstByte(nanos);
        t.status(code);
        ex.responseStarted = true;
        HttpHeaders h = r.headers();
        String contentType = h.get(HttpHeaderNames.CONTENT_TYPE);
        try {
            TimingTap.Decoding d = rc.tap().open(ex.route, contentType, t);
            ex.format = d.format();
            ex.decoder = d.decoder();
        } catch (RuntimeException e) {
            rc.errors().report("tap", e, ex);
        }
        announce(ex);

        ex.upstreamReusable = HttpUtil.isKeepAlive(r);
        boolean hasLength = h.contains(HttpHeaderNames.CONTENT_LENGTH);
        boolean bodyless = "HEAD".equals(ex.method) || code == 204 || code == 304;
        HopByHopHeaders.strip(h);
        r.setProtocolVersion(ex.clientVersion);
        if (!hasLength && !bodyless) {
            if (ex.clientVersion.equals(HttpVersion.HTTP_1_1)) {
                h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else {
                ex.clientKeepAlive = false; // an HTTP/1.0 client learns where the body ends from the close
            }
            // Tell an nginx ingress in front of the sidecar not to buffer what we stream.
            h.set(X_ACCEL_BUFFERING, "no");
        } else if (isStreamingType(contentType)) {
            h.set(X_ACCEL_BUFFERING, "no");
        }
        if (!ex.clientKeepAlive) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (!ex.clientVersion.isKeepAliveDefault()) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        ctx.writeAndFlush(r, ctx.voidPromise());
    }

    private static boolean isStreamingType(String contentType) {
        if (contentType == null) {
            return false;
        }
        String ct = contentType.toLowerCase(Locale.ROOT);
        return ct.startsWith("text/event-stream") || ct.contains("ndjson");
    }

    void onUpstreamContent(Exchange ex, HttpContent c, long nanos) {
        boolean last = c instanceof LastHttpContent;
        if (ex.swallowNextLast && last) {
            ex.swallowNextLast = false;
            c.release();
            return;
        }
        ex.lastUpstreamReadNanos = nanos;
        ByteBuf body = c.content();
        int n = body.readableBytes();
        ex.bytesOut += n;
        StreamDecoder d = ex.decoder;
        // The transport moves the buffer's reader index as it writes, so the tap reads through its own view, after
        // the bytes are on their way: measuring never delays the stream.
        ByteBuf view = d != null && n > 0 ? body.retainedSlice() : null;
        ctx.writeAndFlush(c, ctx.voidPromise());
        if (view != null) {
            try {
                d.feed(view, nanos);
            } catch (RuntimeException e) {
                rc.errors().report("tap", e, ex);
                ex.decoder = null;
            } finally {
                view.release();
            }
        }
        if (last) {
            if (ex.decoder != null) {
                try {
                    ex.decoder.end(nanos);
                } catch (RuntimeException e) {
                    rc.errors().report("tap", e, ex);
                }
            }
            ex.responseDone = true;
            Outcome o = Outcome.ofStatus(ex.timeline.status());
            if (o == Outcome.OK && ex.timeline.streamError()) {
                o = Outcome.UPSTREAM_5XX;
            }
            finish(ex, o, nanos);
            releaseUpstream(ex, ex.upstreamReusable && ex.requestDone);
            if (ex.requestDone) {
                exchangeComplete(ex);
            } else {
                // The server answered before the request body ended; this connection cannot be reused cleanly.
                closeAfterFlush();
            }
        }
    }

    /** The upstream connection closed or failed while {@code ex} held it. */
    void onUpstreamFailure(Exchange ex, Throwable cause) {
        if (ex == null || ex.responseDone || ex != exchange) {
            return;
        }
        long now = System.nanoTime();
        releaseUpstream(ex, false);
        if (!ex.responseStarted) {
            if (ex.retry != null) {
                cancel(ex.firstByteTimer);
                breakerFailure(ex, UpstreamFailure.RESET);
                if (tryRetry(ex, RetryTrigger.RESET, 0, -1)) {
                    return;
                }
            }
            respondError(ex, HttpResponseStatus.BAD_GATEWAY, "upstream_reset",
                    "the upstream closed the connection before answering", Outcome.UPSTREAM_RESET);
            return;
        }
        // Mid-stream: what arrived has been flushed; closing the connection (rather than writing a final empty
        // chunk) lets the client tell a cut-off response from a complete one, as nginx does.
        ex.responseDone = true;
        if (ex.decoder != null) {
            try {
                ex.decoder.end(now);
            } catch (RuntimeException e) {
                rc.errors().report("tap", e, ex);
            }
        }
        finish(ex, Outcome.UPSTREAM_RESET, now);
        closeAfterFlush();
    }

    private void releaseUpstream(Exchange ex, boolean reusable) {
        Channel up = ex.upstream;
        if (up == null) {
            return;
        }
        ex.upstream = null;
        up.pipeline().get(UpstreamRelayHandler.class).detach();
        requestBodyPaused = false;
        rc.pool().release(up, reusable && up.isActive());
    }

    private void exchangeComplete(Exchange ex) {
        if (exchange != ex) {
            return;
        }
        exchange = null;
        requestBodyPaused = false;
        if (!ex.clientKeepAlive) {
            closeAfterFlush();
            return;
        }
        drain();
    }

    private void closeAfterFlush() {
        closing = true;
        releaseInbox();
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    // ---- answers of our own --------------------------------------------------------------------------------

    private void respondError(Exchange ex, HttpResponseStatus status, String type, String message, Outcome outcome) {
        long now = System.nanoTime();
        ex.responseDone = true;
        ex.timeline.status(status.code());
        finish(ex, outcome, now);
        writeError(ex.clientVersion, status, type, message, ex.clientKeepAlive);
        continueAfterAnswer(ex);
    }

    private void continueAfterAnswer(Exchange ex) {
        if (!ex.clientKeepAlive) {
            closing = true;
            releaseInbox();
        } else if (ex.requestDone) {
            exchangeComplete(ex);
        } else {
            // The rest of the request body is read and dropped (onRequestContent), then the next request follows.
            drain();
        }
    }

    private void rejectMalformed(HttpRequest req) {
        Throwable cause = req.decoderResult().cause();
        HttpResponseStatus status = cause instanceof TooLongHttpLineException
                ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                : cause instanceof TooLongHttpHeaderException
                        ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                        : cause instanceof TooLongFrameException
                                ? HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE
                                : HttpResponseStatus.BAD_REQUEST;
        ReferenceCountUtil.release(req);
        rc.errors().report("client", RelayErrors.Cause.PROTOCOL, cause, ctx.channel());
        closing = true;
        releaseInbox();
        writeError(HttpVersion.HTTP_1_1, status, "invalid_request", "malformed HTTP request", false);
    }

    private void writeError(HttpVersion version, HttpResponseStatus status, String type, String message,
                            boolean keepAlive) {
        byte[] body = ("{\"error\":{\"message\":\"" + message + "\",\"type\":\"" + type + "\",\"code\":"
                + status.code() + "}}\n").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(version, status, Unpooled.wrappedBuffer(body));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (!keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(res, ctx.voidPromise());
        }
    }

    // ---- protection ----------------------------------------------------------------------------------------

    private void respondRejection(Exchange ex, Rejection r) {
        ex.responseDone = true;
        ex.timeline.status(r.status());
        finish(ex, r.outcome(), System.nanoTime());
        try {
            rc.protection().rejections().write(ctx, r, ex.route, ex.model(), ex.clientKeepAlive);
        } catch (RuntimeException e) {
            rc.errors().report("metrics", e, ex);
        }
        continueAfterAnswer(ex);
    }

    private void rejectTooLarge(Exchange ex) {
        // Counted nowhere as a request: it never was one the upstream could see. The connection closes, so the
        // client stops sending the body.
        ex.finished = true;
        ex.responseDone = true;
        closing = true;
        releaseInbox();
        writeError(ex.clientVersion, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "invalid_request_error",
                "request body too large", false);
    }

    private boolean acquireBreaker(Exchange ex) {
        Protection p = rc.protection();
        if (!p.breaker().tryAcquire()) {
            ex.pendingRequest = null;
            respondRejection(ex, p.breaker().rejection());
            return false;
        }
        ex.breakerHeld = true;
        return true;
    }

    private void breakerFailure(Exchange ex, UpstreamFailure failure) {
        if (ex.breakerHeld) {
            ex.breakerHeld = false;
            rc.protection().breaker().onFailure(System.nanoTime() - ex.attemptStartNanos, failure);
        }
    }

    /** The head of an upstream response, before anything went to the client. True when it is dropped for a retry. */
    private boolean protectedResponse(Exchange ex, HttpResponse r, int code, long nanos) {
        Protection p = rc.protection();
        cancel(ex.firstByteTimer);
        if (ex.breakerHeld) {
            ex.breakerHeld = false;
            long d = nanos - ex.attemptStartNanos;
            if (UpstreamFailure.isFailureStatus(code)) {
                p.breaker().onFailure(d, UpstreamFailure.STATUS_5XX);
            } else {
                p.breaker().onSuccess(d);
            }
        }
        if (p.retries().retryableStatus(code)
                && tryRetry(ex, RetryTrigger.STATUS, code,
                        RetryPolicy.retryAfterNanos(r.headers(), System.currentTimeMillis()))) {
            return true;
        }
        RateLimitStatus limits = ex.ticket == null ? null : ex.ticket.status();
        if (limits != null && !r.headers().contains(RejectionResponses.LIMIT_REQUESTS)) {
            RejectionResponses.addRateLimitHeaders(r.headers(), limits);
        }
        ex.lastUpstreamReadNanos = nanos;
        ex.idleTimer = schedule(ex, TimeoutKind.IDLE, p.config().timeouts().idle().toNanos());
        return false;
    }

    /** Schedules another attempt if the policy allows it; true if it does. */
    private boolean tryRetry(Exchange ex, RetryTrigger trigger, int status, long retryAfterNanos) {
        if (ex.requestDone ? ex.bodyCopy == null : ex.bodyPartRelayed) {
            return false; // part of the body went out and was not kept: the request cannot be sent again
        }
        RetryDecision d = ex.retry.onFailure(System.nanoTime(), trigger, status, retryAfterNanos, ex.responseStarted);
        if (!d.retry()) {
            if (d.giveUp() != RetryDecision.GiveUp.NOT_A_TRIGGER) {
                safe(() -> rc.protection().recorder().retryGivenUp(ex.route, d.giveUp().label()));
            }
            return false;
        }
        safe(() -> rc.protection().recorder().retryScheduled(ex.route, trigger.label(), d.delayNanos()));
        // Closing the attempt's connection drops the rest of its answer; nothing of it reached the client.
        releaseUpstream(ex, false);
        ex.retryTimer = ctx.executor().schedule(() -> retryNow(ex), d.delayNanos(), TimeUnit.NANOSECONDS);
        updateAutoRead();
        return true;
    }

    private void retryNow(Exchange ex) {
        ex.retryTimer = null;
        if (exchange != ex || closing || ex.finished) {
            return;
        }
        if (!acquireBreaker(ex)) {
            return;
        }
        ex.pendingRequest = copyOf(ex.headCopy);
        acquire(ex);
    }

    private Future<?> schedule(Exchange ex, TimeoutKind kind, long delayNanos) {
        return ctx.executor().schedule(() -> onTimeout(ex, kind), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    }

    private void onTimeout(Exchange ex, TimeoutKind kind) {
        if (exchange != ex || ex.finished || closing) {
            return;
        }
        if (kind == TimeoutKind.IDLE) {
            // One timer per request, moved along only when it fires early: no rescheduling per event.
            long idle = rc.protection().config().timeouts().idle().toNanos();
            long quiet = System.nanoTime() - ex.lastUpstreamReadNanos;
            if (quiet < idle) {
                ex.idleTimer = schedule(ex, TimeoutKind.IDLE, idle - quiet);
                return;
            }
        }
        timedOut(ex, kind);
    }

    private void timedOut(Exchange ex, TimeoutKind kind) {
        long now = System.nanoTime();
        safe(() -> rc.metrics().relayError("upstream", kind.errorType()));
        breakerFailure(ex, UpstreamFailure.TIMEOUT);
        releaseUpstream(ex, false);
        if (!ex.responseStarted) {
            respondError(ex, HttpResponseStatus.GATEWAY_TIMEOUT, kind.errorType(),
                    "the upstream did not answer in time (" + kind.label() + " timeout)", Outcome.TIMEOUT);
            return;
        }
        // Mid-stream: end it as a reset would, so the client can tell a cut-off response from a complete one.
        ex.responseDone = true;
        if (ex.decoder != null) {
            try {
                ex.decoder.end(now);
            } catch (RuntimeException e) {
                rc.errors().report("tap", e, ex);
            }
        }
        finish(ex, Outcome.TIMEOUT, now);
        closeAfterFlush();
    }

    /** Frees what protection holds for {@code ex}: timers, the breaker permission, the kept body, the ticket. */
    private void releaseProtection(Exchange ex) {
        if (ex.retry == null && ex.ticket == null) {
            return;
        }
        cancel(ex.retryTimer);
        cancel(ex.firstByteTimer);
        cancel(ex.idleTimer);
        cancel(ex.totalTimer);
        if (ex.breakerHeld) {
            ex.breakerHeld = false;
            rc.protection().breaker().release(); // the attempt told nothing about the upstream
        }
        if (ex.bodyCopy != null) {
            ex.bodyCopy.release();
            ex.bodyCopy = null;
        }
        if (ex.ticket != null) {
            Usage u = ex.timeline.usage();
            long actual = u.inputTokens() >= 0 && u.outputTokens() >= 0 ? u.inputTokens() + u.outputTokens() : -1;
            ex.ticket.release(actual);
        }
    }

    private static void cancel(Future<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    private static HttpRequest copyOf(HttpRequest r) {
        return new DefaultHttpRequest(r.protocolVersion(), r.method(), r.uri(), r.headers().copy());
    }

    // ---- bookkeeping ---------------------------------------------------------------------------------------

    private void announce(Exchange ex) {
        if (ex.announced()) {
            return;
        }
        String model = ex.model();
        RequestTimeline.IntervalListener listener = RequestTimeline.IntervalListener.NONE;
        try {
            rc.metrics().requestStarted(ex.route, model);
            listener = rc.metrics().intervals(ex.route, model);
        } catch (RuntimeException e) {
            rc.errors().report("metrics", e, ex);
        }
        ex.announced(model, listener == null ? RequestTimeline.IntervalListener.NONE : listener);
    }

    private void finish(Exchange ex, Outcome outcome, long nanos) {
        if (ex.finished) {
            return;
        }
        ex.finished = true;
        releaseProtection(ex);
        announce(ex);
        ex.timeline.end(nanos, outcome);
        try {
            rc.metrics().requestFinished(ex.route, ex.model(), ex.timeline);
        } catch (RuntimeException e) {
            rc.errors().report("metrics", e, ex);
        }
        try {
            rc.requestLog().finished(ex.method, ex.route, ex.model(), ex.format, ex.timeline, ex.bytesOut);
        } catch (RuntimeException e) {
            rc.errors().report("log", e, ex);
        }
    }

    private void safe(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            rc.errors().report("metrics", e, ctx.channel());
        }
    }

    private void releaseInbox() {
        for (HttpObject o; (o = inbox.poll()) != null; ) {
            ReferenceCountUtil.release(o);
        }
    }

    // ---- client connection events --------------------------------------------------------------------------

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Exchange ex = exchange;
        if (ex != null && ex.upstream != null) {
            // The slow-client brake: stop reading the upstream while the client's buffer is above the high mark.
            ex.upstream.config().setAutoRead(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        releaseInbox();
        Exchange ex = exchange;
        exchange = null;
        if (ex != null && ex.pendingRequest != null) {
            ReferenceCountUtil.release(ex.pendingRequest);
            ex.pendingRequest = null;
        }
        if (ex != null && !ex.responseDone) {
            // Close the upstream at once, so the server stops generating and frees the request's KV cache.
            ex.responseDone = true;
            releaseUpstream(ex, false);
            finish(ex, Outcome.CLIENT_CANCEL, System.nanoTime());
        } else if (ex != null) {
            releaseUpstream(ex, false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        rc.errors().report("client", cause, exchange != null ? exchange : ctx.channel());
        // channelInactive then closes the upstream side and records the outcome.
        ctx.close();
    }
}
