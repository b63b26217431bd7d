package io.tokentap.proxy.protect.admit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.tokentap.proxy.protect.Protection;
import io.tokentap.proxy.protect.limit.Admission;
import io.tokentap.proxy.protect.limit.Ticket;
import java.util.ArrayDeque;

/**
 * Sits between the HTTP codec and the relay, one per client connection. It reads each request body whole (up to
 * {@code maxRequestBodyBytes}) before anything is sent upstream, asks {@link Protection#admit} and passes on an
 * {@link AdmittedRequest} followed by one {@link LastHttpContent}: the body when admitted, empty otherwise. A whole
 * body is what the token estimate and a retry both need; LLM request bodies are small next to their responses.
 * With {@code injectUsage}, an admitted streamed chat or completions request that does not ask for usage gets
 * {@code stream_options.include_usage} added here ({@link UsageInjection}).
 *
 * <p>The relay answers rejections itself (in request order) and releases the ticket when the request ends; this
 * handler releases the tickets of requests the relay never started when the connection closes.
 */
public final class AdmissionHandler extends ChannelInboundHandlerAdapter {

    private final Protection protection;
    private final int maxBodyBytes;
    private final boolean injectUsage;
    private final ArrayDeque<Ticket> tickets = new ArrayDeque<>();
    private HttpRequest head;
    /** The body so far: null before the first part, the part itself when it is the only one, else a composite. */
    private ByteBuf body;
    private boolean discarding;

    public AdmissionHandler(Protection protection) {
        this.protection = protection;
        this.maxBodyBytes = protection.config().maxRequestBodyBytes();
        this.injectUsage = protection.config().injectUsage();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest r) {
            if (r.decoderResult().isFailure() || head != null) {
                ctx.fireChannelRead(msg); // malformed: the relay answers 400 and closes
                return; // (a malformed head may also be a FullHttpRequest: it is passed on whole)
            }
            onHead(ctx, r);
        }
        if (msg instanceof HttpContent c) {
            onContent(ctx, c);
        } else if (!(msg instanceof HttpRequest)) {
            ctx.fireChannelRead(msg);
        }
    }

    private void onHead(ChannelHandlerContext ctx, HttpRequest r) {
        long declared = HttpUtil.getContentLength(r, -1L);
        if (declared > maxBodyBytes) {
            tooLarge(ctx, r);
            return;
        }
        if (HttpUtil.is100ContinueExpected(r)) {
            // The client waits for this before it sends the body we need to read.
            r.headers().remove(HttpHeaderNames.EXPECT);
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
        }
        head = r;
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent c) {
        boolean last = c instanceof LastHttpContent;
        if (discarding || head == null) {
            c.release();
            if (last) {
                discarding = false;
            }
            return;
        }
        if (c.decoderResult().isFailure()) {
            // A broken body (an invalid chunk size): the head goes on marked malformed, the relay answers 400 and
            // closes. The relay has not seen the head yet, so the failed part alone would answer nothing.
            HttpRequest r = head;
            release();
            r.setDecoderResult(c.decoderResult());
            c.release();
            ctx.fireChannelRead(r);
            return;
        }
        long size = body == null ? 0 : body.readableBytes();
        if (size + c.content().readableBytes() > maxBodyBytes) {
            c.release();
            HttpRequest r = head;
            release();
            tooLarge(ctx, r);
            if (last) {
                discarding = false;
            }
            return;
        }
        if (body == null && last) {
            body = c.content(); // the whole body in one part (the common case): no copy, no composite
        } else {
            if (!(body instanceof CompositeByteBuf)) {
                CompositeByteBuf composite = ctx.alloc().compositeBuffer(64);
                if (body != null) {
                    composite.addComponent(true, body);
                }
                body = composite;
            }
            ((CompositeByteBuf) body).addComponent(true, c.content().retain());
            c.release();
        }
        if (last) {
            complete(ctx);
        }
    }

    private void complete(ChannelHandlerContext ctx) {
        HttpRequest r = head;
        ByteBuf b = body == null ? ctx.alloc().buffer(0) : body;
        head = null;
        body = null;
        Admission a;
        try {
            a = protection.admit(r, b);
        } catch (RuntimeException e) {
            b.release();
            throw e;
        }
        if (a.admitted()) {
            Ticket t = a.ticket();
            while (!tickets.isEmpty() && tickets.peekFirst().released()) {
                tickets.pollFirst();
            }
            tickets.addLast(t);
            ByteBuf injected = injectUsage && UsageInjection.candidate(r) ? UsageInjection.inject(b) : null;
            if (injected != null) {
                b.release();
                b = injected;
                UsageInjection.reframe(r, b.readableBytes());
            }
            ctx.fireChannelRead(new AdmittedRequest(r, t, null, false, injected != null));
            ctx.fireChannelRead(new DefaultLastHttpContent(b));
        } else {
            b.release();
            ctx.fireChannelRead(new AdmittedRequest(r, null, a.rejection(), false));
            ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    private void tooLarge(ChannelHandlerContext ctx, HttpRequest r) {
        discarding = true;
        ctx.fireChannelRead(new AdmittedRequest(r, null, null, true));
        ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    private void release() {
        head = null;
        if (body != null) {
            body.release();
            body = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        // Requests the relay had queued and never started still hold their slots; unknown usage keeps the estimate.
        for (Ticket t; (t = tickets.pollFirst()) != null; ) {
            t.release(-1);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }
}
