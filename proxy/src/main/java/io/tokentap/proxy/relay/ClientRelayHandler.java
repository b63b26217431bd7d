package io.tokentap.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.tokentap.core.stream.Outcome;
import io.tokentap.proxy.protect.Protection;
import io.tokentap.proxy.protect.ProtectionRecorder;
import io.tokentap.proxy.protect.RateLimitStatus;
import io.tokentap.proxy.protect.Rejection;
import io.tokentap.proxy.protect.TimeoutKind;
import io.tokentap.proxy.protect.admit.AdmittedRequest;
import io.tokentap.proxy.protect.breaker.UpstreamFailure;
import io.tokentap.proxy.protect.reject.RejectionResponses;
import io.tokentap.proxy.protect.retry.RetryDecision;
import io.tokentap.proxy.protect.retry.RetryPolicy;
import io.tokentap.proxy.protect.retry.RetryTrigger;
import io.tokentap.proxy.protect.tenant.TenantResolver;
import java.util.ArrayDeque;
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

    private final RelayContext rc;
    private final ReadStamp stamp;
    /** Request parts that cannot be relayed yet: the upstream is being acquired, or a pipelined request waits. */
    private final ArrayDeque<HttpObject> inbox = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    /** The HTTP codec's context: a chunk framed here is written from it, past the codec's encoder. */
    private ChannelHandlerContext codecCtx;
    /**
     * The upstream connection a request head was written to and not yet flushed: the body parts of the same client
     * read go with it in one system call (flushed by the body, at the end of the client's read, or at the end of a
     * drain outside a read).
     */
    private Channel requestUnflushed;
    /** Between a client read and its read-complete. */
    private boolean reading;
    /** A response head was written and not yet flushed (see {@link #onUpstreamReadComplete}). */
    private boolean headUnflushed;
    private Exchange exchange;
    private boolean inDrainLoop;
    private boolean requestBodyPaused;
    private boolean closing;
    private boolean draining;

    ClientRelayHandler(RelayContext rc, ReadStamp stamp) {
        this.rc = rc;
        this.stamp = stamp;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.codecCtx = ctx.pipeline().context(HttpServerCodec.class);
    }

    // ---- request path: client -> upstream ------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject o) || closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        reading = true;
        inbox.add(o);
        drain();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        flushRequest();
        ctx.fireChannelReadComplete();
    }

    /** Sends a request head that waited for its body (see {@link #onAcquired}). */
    private void flushRequest() {
        if (requestUnflushed != null) {
            Channel up = requestUnflushed;
            requestUnflushed = null;
            up.flush();
        }
    }

    /** Relays what the inbox holds, as far as the current state allows. */
    private void drain() {
        if (inDrainLoop) {
            return; // the outer loop continues with the new state
        }
        inDrainLoop = true;
        try {
            while (!inbox.isEmpty() && !closing && canTake(inbox.peek())) {
                HttpObject o = inbox.poll();
                if (o instanceof HttpRequest r) {
                    startExchange(r);
                    if (r.decoderResult().isFailure()) {
                        continue; // answered 400 and released, also when the decoder made it a FullHttpRequest
                    }
                }
                if (o instanceof HttpContent c) {
                    onRequestContent(c);
                }
            }
        } finally {
            inDrainLoop = false;
        }
        if (!reading) {
            flushRequest(); // else at the end of the client's read, which may still bring the body
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
        Channel ch = ctx.channel();
        // Between requests, a client that does not read its answers is not read either: the answers the proxy gives
        // itself (a pipelined storm of 429s) would otherwise pile up in its outbound buffer without bound.
        boolean clientBehind = exchange == null && !ch.isWritable();
        boolean read = !closing && inbox.isEmpty() && !requestBodyPaused && !waitingForUpstream && !clientBehind;
        if (!ch.isOpen() || !ch.isRegistered()) {
            return; // closed within this read (a 400 and close): Netty has no registration left to change
        }
        if (ch.config().isAutoRead() != read) {
            ch.config().setAutoRead(read);
        }
    }

    private void startExchange(HttpRequest req) {
        if (req.decoderResult().isFailure()) {
            rejectMalformed(req);
            return;
        }
        Exchange ex = open(req.method().name(), RequestHead.pathOf(req.uri()), req.protocolVersion(),
                HttpUtil.isKeepAlive(req), req.headers()::get);
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
            ex.usageInjected = g.usageInjected();
        }
        RelayHeaders.toUpstream(req, rc.config().upstream(), rc.config().relay().preserveHost(),
                ctx.channel().remoteAddress());
        if (p != null) {
            long now = System.nanoTime();
            ex.retry = p.retries().start(ex.route, now);
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

    /** Starts the connection's exchange for a request: its timeline, node label and capture sample. */
    private Exchange open(String method, String route, HttpVersion version, boolean keepAlive,
                          TenantResolver.Headers headers) {
        Exchange ex = new Exchange(rc, method, route, version, stamp.lastReadNanos());
        ex.clientKeepAlive = keepAlive && !draining;
        String nodeHeader = rc.config().metrics().nodeHeader();
        if (!nodeHeader.isEmpty()) {
            ex.node(headers.get(nodeHeader));
        }
        exchange = ex;
        startCapture(ex, headers);
        return ex;
    }

    /** Samples an inference call (a POST) for the capture; the tenant key is kept only as its hash. */
    private void startCapture(Exchange ex, TenantResolver.Headers headers) {
        try {
            if ("POST".equals(ex.method) && rc.capture().sample()) {
                String tenant = rc.tenants().resolve(headers);
                ex.startCapture(rc.capture().nowMicros(),
                        TenantResolver.ANONYMOUS.equals(tenant) ? null : "sha256:" + tenant,
                        rc.capture().maxBodyBytes());
            }
        } catch (RuntimeException e) {
            rc.errors().report("capture", e, ex);
        }
    }

    private void acquire(Exchange ex) {
        Future<Channel> f = rc.pool().acquire(ctx.channel().eventLoop());
        if (f.isDone()) {
            onAcquired(ex, f);
        } else {
            f.addListener(done -> onAcquired(ex, f));
        }
    }

    private void onAcquired(Exchange ex, Future<Channel> f) {
        if (!f.isSuccess()) {
            if (exchange != ex || closing) {
                return;
            }
            Throwable cause = f.cause();
            if (cause instanceof TimeoutException || cause instanceof IllegalStateException) {
                // FixedChannelPool: the acquire timed out, or too many requests are already waiting.
                try {
                    rc.metrics().rejected(ex.route, ex.model(), "concurrency");
                } catch (RuntimeException e) {
                    rc.errors().report("metrics", e, ex);
                }
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
        ex.upstreamHandler = up.pipeline().get(UpstreamRelayHandler.class);
        ex.upstreamHandler.attach(this, ex);
        up.config().setAutoRead(ctx.channel().isWritable());
        HttpRequest head = ex.pendingRequest;
        ex.pendingRequest = null;
        // The head waits for the body parts of the same client read, so that a request goes out in one system
        // call and reaches the server in one segment (see requestUnflushed).
        up.write(head, up.voidPromise());
        requestUnflushed = up;
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
        if (c.decoderResult().isFailure()) {
            malformedBody(ex, c);
            return;
        }
        boolean last = c instanceof LastHttpContent;
        ex.peekRequest(c.content(), last);
        ex.captureRequest(c.content());
        if (last) {
            ex.requestDone = true;
            if (ex.retry != null && !ex.finished() && ex.bodyCopy == null) {
                ex.bodyCopy = ((LastHttpContent) c).retainedDuplicate();
            }
        }
        Channel up = ex.upstream;
        if (ex.responseDone || up == null || !up.isActive()) {
            c.release();
        } else {
            ex.bodyPartRelayed = true;
            up.writeAndFlush(c, up.voidPromise());
            requestUnflushed = null;
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
            ex.swallowNextLast = true;
            ctx.writeAndFlush(RelayHeaders.informational(r, ex.clientVersion), ctx.voidPromise());
            return;
        }
        if (ex.retry != null && !ex.responseStarted && protectedResponse(ex, r, code, nanos)) {
            return; // dropped: the request is tried again
        }
        ex.timeline.firstByte(nanos);
        ex.timeline.status(code);
        ex.responseStarted = true;
        String contentType = r.headers().get(HttpHeaderNames.CONTENT_TYPE);
        ex.openTap(contentType);
        if (ex.usageInjected && code == 200 && contentType != null
                && contentType.regionMatches(true, 0, "text/event-stream", 0, 17)
                && !r.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
            ex.usageFilter = new UsageChunkFilter(ctx.alloc());
        }
        ex.announce();
        ex.upstreamReusable = HttpUtil.isKeepAlive(r);
        boolean bodyless = "HEAD".equals(ex.method) || code == 204 || code == 304;
        // Before the headers are rewritten for the client: a body without framing is made chunked for it.
        boolean upstreamChunked = !bodyless && HttpUtil.isTransferEncodingChunked(r);
        ex.clientKeepAlive = RelayHeaders.toClient(r, ex.clientVersion, ex.clientKeepAlive, bodyless);
        ex.chunkedToClient = !bodyless && codecCtx != null && HttpUtil.isTransferEncodingChunked(r);
        // Flushed with the first body part when it came in the same read (one system call for both), else at the
        // end of the read (onUpstreamReadComplete).
        ctx.write(r, ctx.voidPromise());
        headUnflushed = true;
        if (upstreamChunked && ex.chunkedToClient && ex.upstreamHandler != null) {
            ex.upstreamHandler.passBody();
        }
    }

    /** Whether a body frame's data {@code buf[from, from + len)} goes to the client as it is (see UsageChunkFilter). */
    boolean passesUnchanged(Exchange ex, ByteBuf buf, int from, int len) {
        return ex.usageFilter == null || ex.usageFilter.passes(buf, from, from + len);
    }

    /**
     * Whole chunk frames of the body, {@code buf[from, to)}, relayed as they came ({@link ChunkPassThrough}); their
     * data are the pairs (offset, length) in {@code frames[0, 2 * count)}. The caller keeps {@code buf}. Written past
     * the encoder, as {@link ChunkFraming}'s frames are, and tapped after the write.
     */
    void onUpstreamFrames(Exchange ex, ByteBuf buf, int from, int to, int[] frames, int count, long nanos) {
        ex.lastUpstreamReadNanos = nanos;
        for (int i = 0; i < count; i++) {
            ex.bytesOut += frames[2 * i + 1];
        }
        ChannelOutboundBuffer queued = ctx.channel().unsafe().outboundBuffer();
        ByteBuf out;
        if (queued != null && queued.totalPendingWriteBytes() == 0) {
            out = buf.retainedSlice(from, to - from);
        } else {
            // A client that has not taken the last write: a slice would keep the whole read buffer alive for each
            // queued frame, so it gets a copy of the frames alone.
            out = ctx.alloc().directBuffer(to - from);
            BufferCopy.append(out, buf, from, to - from);
        }
        codecCtx.writeAndFlush(out, ctx.voidPromise());
        headUnflushed = false;
        if (!ex.tapping()) {
            return;
        }
        int reader = buf.readerIndex();
        int writer = buf.writerIndex();
        try {
            for (int i = 0; i < count && ex.tapping(); i++) {
                int data = frames[2 * i];
                buf.setIndex(data, data + frames[2 * i + 1]);
                ex.tap(buf, nanos);
            }
        } finally {
            buf.setIndex(reader, writer);
        }
    }

    /** The upstream read that brought a response head has been handled: the head goes out if nothing took it. */
    void onUpstreamReadComplete() {
        if (headUnflushed) {
            headUnflushed = false;
            ctx.flush();
        }
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
        // The tap reads the read after its bytes are on their way (measuring never delays the stream), through a
        // reference of its own that keeps the buffer alive whatever the writes below release.
        boolean tapping = ex.tapping() && n > 0;
        int from = body.readerIndex();
        ByteBuf view = null;
        if (tapping) {
            body.retain();
        }
        try {
            // The client gets the stream it asked for: the usage the proxy asked for is the tap's alone.
            HttpContent out = ex.usageFilter == null ? c : ex.usageFilter.filter(c, last);
            if (ex.chunkedToClient && !last && out.content().isReadable()) {
                // A streamed read goes out as one framed buffer, past the encoder (its state does not change within
                // a chunked body); the body's end still goes through the encoder. The frame is a copy: the body
                // itself never reaches the transport, so the tap reads it in place.
                ByteBuf framed;
                try {
                    framed = ChunkFraming.frame(ctx.alloc(), out.content());
                } finally {
                    out.release();
                }
                codecCtx.writeAndFlush(framed, ctx.voidPromise());
            } else {
                if (tapping && out == c) {
                    // The body itself goes to the transport, which moves its reader index as it writes (and may
                    // hold it queued): the tap reads through a view of its own.
                    view = body.slice(from, n);
                }
                ctx.writeAndFlush(out, ctx.voidPromise());
            }
            headUnflushed = false; // flushed with this part
            if (tapping) {
                if (view == null) {
                    // A filtered copy went out instead, or the frame: the body is the tap's alone now.
                    body.readerIndex(from);
                }
                ex.tap(view != null ? view : body, nanos);
            }
        } finally {
            if (tapping) {
                body.release();
            }
        }
        if (last) {
            ex.endTap(nanos);
            ex.responseDone = true;
            ex.finish(ex.completedOutcome(), nanos);
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
        ex.endTap(now);
        ex.finish(Outcome.UPSTREAM_RESET, now);
        closeAfterFlush();
    }

    private void releaseUpstream(Exchange ex, boolean reusable) {
        Channel up = ex.upstream;
        if (up == null) {
            return;
        }
        ex.upstream = null;
        ex.upstreamHandler.detach();
        ex.upstreamHandler = null;
        requestBodyPaused = false;
        rc.pool().release(up, reusable && up.isActive());
    }

    private void exchangeComplete(Exchange ex) {
        if (exchange != ex) {
            return;
        }
        exchange = null;
        requestBodyPaused = false;
        if (!ex.clientKeepAlive || draining) {
            closeAfterFlush();
            return;
        }
        drain();
    }

    /**
     * The server is shutting down: an idle connection closes now; a busy one finishes its response, tells the
     * client {@code Connection: close} if the head is not out yet, and closes after it. Runs on the event loop.
     */
    void drainConnection() {
        draining = true;
        Exchange ex = exchange;
        if (ex == null) {
            closeAfterFlush();
        } else if (!ex.responseStarted) {
            ex.clientKeepAlive = false;
        }
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
        ex.finish(outcome, now);
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
        ReferenceCountUtil.release(req);
        rc.errors().report("client", RelayErrors.Cause.PROTOCOL, cause, ctx.channel());
        closing = true;
        releaseInbox();
        writeError(HttpVersion.HTTP_1_1, RelayHeaders.statusForMalformed(cause), "invalid_request",
                "malformed HTTP request", false);
    }

    /** The request body broke the protocol (an invalid chunk size): 400 if nothing was answered yet, and close. */
    private void malformedBody(Exchange ex, HttpContent c) {
        rc.errors().report("client", RelayErrors.Cause.PROTOCOL, c.decoderResult().cause(), ctx.channel());
        c.release();
        ex.requestDone = true;
        ex.clientKeepAlive = false;
        releaseUpstream(ex, false);
        if (ex.responseStarted) {
            long now = System.nanoTime();
            ex.responseDone = true;
            ex.endTap(now);
            ex.finish(Outcome.CLIENT_CANCEL, now);
            closeAfterFlush();
        } else {
            respondError(ex, HttpResponseStatus.BAD_REQUEST, "invalid_request", "malformed HTTP request body",
                    Outcome.CLIENT_CANCEL);
        }
    }

    private void writeError(HttpVersion version, HttpResponseStatus status, String type, String message,
                            boolean keepAlive) {
        var res = RelayHeaders.error(version, status, type, message, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(res, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void releaseInbox() {
        for (HttpObject o; (o = inbox.poll()) != null; ) {
            ReferenceCountUtil.release(o);
        }
    }

    // ---- protection ----------------------------------------------------------------------------------------

    private void respondRejection(Exchange ex, Rejection r) {
        respondRejection(ex, r, null);
    }

    /** Answers a rejection through the codec's encoder, or with pre-encoded bytes from {@code early} when not null. */
    private void respondRejection(Exchange ex, Rejection r, ChannelHandlerContext early) {
        ex.responseDone = true;
        ex.timeline.status(r.status());
        ex.finish(r.outcome(), System.nanoTime());
        try {
            RejectionResponses answers = rc.protection().rejections();
            if (early == null) {
                answers.write(ctx, r, ex.route, ex.model(), ex.clientKeepAlive);
            } else {
                answers.writeEncoded(early, r, ex.route, ex.model(), ex.clientKeepAlive);
            }
        } catch (RuntimeException e) {
            rc.errors().report("metrics", e, ex);
        }
        continueAfterAnswer(ex);
    }

    /**
     * True when nothing is in progress on this connection (no exchange, nothing queued, not closing or draining): a
     * request answered now is answered in order. {@link EarlyRejection} answers only then.
     */
    boolean idle() {
        return exchange == null && inbox.isEmpty() && !closing && !draining;
    }

    /**
     * Answers a request {@link EarlyRejection} read from its bytes and the protection rejected, as
     * {@link #startExchange} and {@link #respondRejection} answer one the codec read: the same exchange, outcome,
     * metrics, request log and capture. The pre-encoded answer is written from {@code writer}, a context before the
     * codec, which never saw the request. Only when {@link #idle()}.
     */
    void answerEarly(RequestHead head, Rejection r, ChannelHandlerContext writer) {
        Exchange ex = open(head.method(), head.path(), HttpVersion.HTTP_1_1, head.keepAlive(), head);
        ex.requestDone = true; // the body was read whole and is dropped by the early path
        respondRejection(ex, r, writer);
    }

    private void rejectTooLarge(Exchange ex) {
        // Not reported as a request: the upstream never saw it. The connection closes, so the client stops sending.
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
            if (UpstreamFailure.isFailureStatus(code, r.headers().contains("retry-after")
                    || r.headers().contains("retry-after-ms"))) {
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
        ProtectionRecorder recorder = rc.protection().recorder();
        try {
            if (!d.retry()) {
                if (d.giveUp() != RetryDecision.GiveUp.NOT_A_TRIGGER) {
                    recorder.retryGivenUp(ex.route, d.giveUp().label());
                }
                return false;
            }
            recorder.retryScheduled(ex.route, trigger.label(), d.delayNanos());
        } catch (RuntimeException e) {
            rc.errors().report("metrics", e, ex);
            if (!d.retry()) {
                return false;
            }
        }
        // Closing the attempt's connection drops the rest of its answer; nothing of it reached the client.
        releaseUpstream(ex, false);
        ex.retryTimer = ctx.executor().schedule(() -> retryNow(ex), d.delayNanos(), TimeUnit.NANOSECONDS);
        updateAutoRead();
        return true;
    }

    private void retryNow(Exchange ex) {
        ex.retryTimer = null;
        if (exchange != ex || closing || ex.finished()) {
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
        if (exchange != ex || ex.finished() || closing) {
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
        try {
            rc.metrics().relayError("upstream", kind.errorType());
        } catch (RuntimeException e) {
            rc.errors().report("metrics", e, ex);
        }
        breakerFailure(ex, UpstreamFailure.TIMEOUT);
        releaseUpstream(ex, false);
        if (!ex.responseStarted) {
            respondError(ex, HttpResponseStatus.GATEWAY_TIMEOUT, kind.errorType(),
                    "the upstream did not answer in time (" + kind.label() + " timeout)", Outcome.TIMEOUT);
            return;
        }
        // Mid-stream: end it as a reset would, so the client can tell a cut-off response from a complete one.
        ex.responseDone = true;
        ex.endTap(now);
        ex.finish(Outcome.TIMEOUT, now);
        closeAfterFlush();
    }

    private static void cancel(Future<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    private static HttpRequest copyOf(HttpRequest r) {
        return new DefaultHttpRequest(r.protocolVersion(), r.method(), r.uri(), r.headers().copy());
    }

    // ---- client connection events --------------------------------------------------------------------------

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Exchange ex = exchange;
        if (ex != null && ex.upstream != null) {
            // The slow-client brake: stop reading the upstream while the client's buffer is above the high mark.
            ex.upstream.config().setAutoRead(ctx.channel().isWritable());
        }
        updateAutoRead();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        releaseInbox();
        Exchange ex = exchange;
        exchange = null;
        if (ex != null) {
            ReferenceCountUtil.release(ex.pendingRequest);
            ex.pendingRequest = null;
            // Close the upstream at once, so the server stops generating and frees the request's KV cache.
            releaseUpstream(ex, false);
            if (!ex.responseDone) {
                ex.responseDone = true;
                long now = System.nanoTime();
                ex.endTap(now);
                ex.finish(Outcome.CLIENT_CANCEL, now);
            }
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
