package io.tokentap.proxy.relay;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Takes {@code System.nanoTime()} once per socket read, before any decoding. It sits first in a pipeline, so every
 * message decoded from one read carries the time the bytes arrived, not the time a later handler saw them.
 */
final class ReadStamp extends ChannelInboundHandlerAdapter {

    private long lastReadNanos = System.nanoTime();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastReadNanos = System.nanoTime();
        ctx.fireChannelRead(msg);
    }

    /** When the read that is being decoded now arrived. */
    long lastReadNanos() {
        return lastReadNanos;
    }
}
