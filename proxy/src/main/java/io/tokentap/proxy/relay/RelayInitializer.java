package io.tokentap.proxy.relay;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.channel.group.ChannelGroup;
import io.tokentap.proxy.protect.admit.AdmissionHandler;

/** The client connection's pipeline, in order: read timestamp, HTTP/1.1 codec, smuggling check, admission (when protected), relay. */
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
