package io.tokentap.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.tokentap.proxy.protect.Protection;
import io.tokentap.proxy.protect.Rejection;

/**
 * Answers a rejected request from its bytes, before the HTTP codec reads it into objects: the path a storm of 429s
 * takes. It sits between the read timestamp and the codec of a protected proxy's client connection, frames each
 * request itself ({@link RequestHead}: a strict shape, framed by Content-Length alone) and, when the relay has
 * nothing in progress and the whole request is in hand, asks {@link Protection#refusal} whether the cheap checks
 * (shed load, the proxy's cap, the tenant's concurrent streams and requests per minute) reject it. A rejected
 * request is answered by the relay ({@link ClientRelayHandler#answerEarly}: the same exchange, metrics, log and
 * capture as on the codec's path) with pre-encoded bytes written from here, past the codec's encoder; the codec
 * never sees that request or its answer, so its queue of request methods stays in step.
 *
 * <p>Every other request goes on to the codec whole (its head, then its body as it arrives, counted down by its
 * Content-Length), and the normal path admits it, rejects it on its tokens, or relays it. A head this does not
 * accept (chunked, {@code Expect}, HTTP/1.0, anything unusual or malformed) turns this off for the rest of the
 * connection: from then on every byte goes to the codec, which has all its own checks. What this holds is one
 * incomplete request: a head, bounded by the codec's limits, and a body up to {@code maxRequestBodyBytes}, which the
 * admission reads whole anyway (a larger one goes on at once, to be answered 413).
 */
final class EarlyRejection extends ChannelInboundHandlerAdapter {

    private final Protection protection;
    private final ClientRelayHandler relay;
    private final RequestHead head;
    private final long maxBodyBytes;
    /** The start of a request whose head has not all arrived. */
    private ByteBuf held;
    /** Body bytes still to come of the current request: passed on to the codec, or dropped when {@link #dropping}. */
    private long remaining;
    private boolean dropping;
    /** The codec reads everything from here on. */
    private boolean off;

    EarlyRejection(Protection protection, ClientRelayHandler relay, int maxInitialLineBytes, int maxHeaderBytes) {
        this.protection = protection;
        this.relay = relay;
        this.head = new RequestHead(maxInitialLineBytes, maxHeaderBytes);
        this.maxBodyBytes = protection.config().maxRequestBodyBytes();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (off || !(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf buf = in;
        if (held != null) {
            buf = held;
            held = null;
            try {
                buf.writeBytes(in); // a known request's body fits the room hold() reserved; a head may grow it
            } finally {
                in.release();
            }
        }
        try {
            read(ctx, buf);
        } finally {
            buf.release();
        }
    }

    private void read(ChannelHandlerContext ctx, ByteBuf buf) {
        while (buf.isReadable()) {
            if (off) {
                ctx.fireChannelRead(buf.retainedSlice());
                buf.skipBytes(buf.readableBytes());
                return;
            }
            if (remaining > 0) {
                int n = (int) Math.min(remaining, buf.readableBytes());
                if (!dropping) {
                    ctx.fireChannelRead(buf.retainedSlice(buf.readerIndex(), n));
                }
                buf.skipBytes(n);
                remaining -= n;
                continue;
            }
            int len = head.parse(buf);
            if (len == RequestHead.INCOMPLETE) {
                hold(ctx, buf, buf.readableBytes() + 1024);
                return;
            }
            if (len == RequestHead.REFUSED) {
                off = true;
                continue;
            }
            long body = head.contentLength();
            if (body <= maxBodyBytes && len + body > buf.readableBytes()) {
                hold(ctx, buf, len + body); // the rest of the body: decided once the request is whole
                return;
            }
            Rejection rejection = body <= maxBodyBytes && relay.idle() ? protection.refusal(head) : null;
            if (rejection == null) {
                int n = (int) Math.min(len + body, buf.readableBytes());
                ctx.fireChannelRead(buf.retainedSlice(buf.readerIndex(), n));
                buf.skipBytes(n);
                remaining = len + body - n;
                dropping = false;
            } else {
                relay.answerEarly(head, rejection, ctx); // reads the head's bytes: before they are skipped
                buf.skipBytes(len + (int) body);
                if (!head.keepAlive()) {
                    remaining = Long.MAX_VALUE; // the connection closes after the answer: the rest is dropped
                    dropping = true;
                }
            }
        }
    }

    /**
     * Keeps the unread part of {@code buf} for the next read, with room for {@code wanted} bytes: the whole request
     * once its head is known, so that its body is copied once. As Netty's cumulating decoders do, it keeps the read
     * buffer itself when it may grow, and copies it otherwise.
     */
    private void hold(ChannelHandlerContext ctx, ByteBuf buf, long wanted) {
        int extra = (int) Math.max(0, wanted - buf.readableBytes());
        if (buf.isReadOnly() || buf.refCnt() > 1 || buf.maxWritableBytes() < extra) {
            held = ctx.alloc().buffer((int) wanted);
            held.writeBytes(buf);
            buf.skipBytes(buf.readableBytes());
        } else {
            buf.discardSomeReadBytes();
            buf.ensureWritable(extra);
            held = buf.retain();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    private void release() {
        if (held != null) {
            held.release();
            held = null;
        }
    }
}
