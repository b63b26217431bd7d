package io.tokentap.proxy.relay;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.tokentap.proxy.protect.admit.AdmissionHandler;

/**
 * The client connection's pipeline, in order: flush consolidation, read timestamp, early rejection (when protected),
 * HTTP/1.1 codec, smuggling check, admission (when protected), relay.
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
        addHandlers(ch.pipeline(), rc, framing);
    }

    /** Builds a client connection's pipeline (see above); tests build it on an embedded channel. */
    static void addHandlers(ChannelPipeline p, RelayContext rc, RequestFraming framing) {
        ReadStamp stamp = new ReadStamp();
        p.addLast("flush", new FlushConsolidationHandler(
                FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, false));
        p.addLast("stamp", stamp);
        int maxLine = rc.config().server().maxInitialLineBytes();
        int maxHeaders = rc.config().server().maxHeaderBytes();
        ClientRelayHandler relay = new ClientRelayHandler(rc, stamp);
        if (rc.protection() != null) {
            p.addLast("early", new EarlyRejection(rc.protection(), relay, maxLine, maxHeaders));
        }
        p.addLast("codec", new HttpServerCodec(RequestFraming.decoderConfig(maxLine, maxHeaders)));
        p.addLast("framing", framing);
        if (rc.protection() != null) {
            p.addLast("admission", new AdmissionHandler(rc.protection()));
        }
        p.addLast("relay", relay);
    }
}
