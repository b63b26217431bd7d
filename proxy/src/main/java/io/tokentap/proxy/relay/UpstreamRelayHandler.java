package io.tokentap.proxy.relay;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of a pooled upstream connection. While a request holds the connection it hands every response
 * part, with the time its bytes were read, to that request's {@link ClientRelayHandler}; between requests it drops
 * anything the server sends and closes the connection.
 */
final class UpstreamRelayHandler extends ChannelInboundHandlerAdapter {

    private final ReadStamp stamp;
    private final RelayErrors errors;
    /** Null when left out of the pipeline. */
    private final ChunkPassThrough passThrough;
    private ClientRelayHandler client;
    private Exchange exchange;

    UpstreamRelayHandler(ReadStamp stamp, RelayErrors errors, ChunkPassThrough passThrough) {
        this.stamp = stamp;
        this.errors = errors;
        this.passThrough = passThrough;
    }

    void attach(ClientRelayHandler client, Exchange exchange) {
        this.client = client;
        this.exchange = exchange;
        if (passThrough != null) {
            passThrough.arm();
        }
    }

    void detach() {
        this.client = null;
        this.exchange = null;
        if (passThrough != null) {
            passThrough.off();
        }
    }

    /**
     * Called while the response head is handled: the body's whole frames go to the client as they came (see
     * {@link ChunkPassThrough}); a no-op when the pass-through is left out or the head did not come through it.
     */
    void passBody() {
        if (passThrough != null && client != null) {
            passThrough.passBody(client, exchange);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (client == null) {
            // Bytes on an idle connection: the server broke the protocol; the connection cannot be reused.
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        if (!(msg instanceof HttpObject o)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (o.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            failed(ctx, o.decoderResult().cause());
            return;
        }
        long nanos = stamp.lastReadNanos();
        if (o instanceof HttpResponse r) {
            client.onUpstreamResponse(exchange, r, nanos);
        }
        if (o instanceof HttpContent c) {
            if (client != null) {
                client.onUpstreamContent(exchange, c, nanos);
            } else {
                c.release();
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (client != null) {
            client.onUpstreamReadComplete();
        }
        ctx.fireChannelReadComplete();
    }

    private void failed(ChannelHandlerContext ctx, Throwable cause) {
        errors.report("upstream", cause, exchange);
        ClientRelayHandler c = client;
        Exchange ex = exchange;
        detach();
        ctx.close();
        if (c != null) {
            c.onUpstreamFailure(ex, cause);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ClientRelayHandler c = client;
        Exchange ex = exchange;
        detach();
        if (c != null) {
            c.onUpstreamFailure(ex, null);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            // Only an unused pooled connection is closed; a long silence inside a response (a slow first token)
            // is the request's business.
            if (client == null) {
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (client != null) {
            client.onUpstreamWritabilityChanged(exchange);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (client == null) {
            errors.report("upstream", cause, "idle connection " + ctx.channel());
            ctx.close();
            return;
        }
        failed(ctx, cause);
    }
}
