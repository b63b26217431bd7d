package io.tokentap.proxy.relay;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.tokentap.proxy.protect.admit.AdmissionHandler;

/**
 * The client connection's pipeline, in order: flush consolidation, read timestamp, HTTP/1.1 codec, smuggling check,
 * admission (when protected), relay.
 *
 * <p>Flushes made while the client connection is being read (answers the proxy gives itself: 429s, 503s, 400s,
 * 100 Continue) wait for the end of that read, so the answers to several pipelined requests leave in one write.
 * Flushes made at any other time, which is every relayed upstream read, go out at once: the streamed tokens' timing
 * is not changed.
 */
final class RelayInitializer extends ChannelInitializer<SocketChannel> {

    private final RelayContext rc;
    private final ChannelGroup clients;
    private final RequestFraming framing = new RequestFraming();

    RelayInitializer(RelayContext rc, ChannelGroup clients) {
        this.rc = rc;
        this.clients = clients;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        clients.add(ch);
        ReadStamp stamp = new ReadStamp();
        ch.pipeline().addLast("flush", new FlushConsolidationHandler(
                FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, false));
        ch.pipeline().addLast("stamp", stamp);
        ch.pipeline().addLast("codec", new HttpServerCodec(RequestFraming.decoderConfig(
                rc.config().server().maxInitialLineBytes(), rc.config().server().maxHeaderBytes())));
        ch.pipeline().addLast("framing", framing);
        if (rc.protection() != null) {
            ch.pipeline().addLast("admission", new AdmissionHandler(rc.protection()));
        }
        ch.pipeline().addLast("relay", new ClientRelayHandler(rc, stamp));
    }
}
