package io.tokentap.sim.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import java.util.SplittableRandom;

/** The simulator's pipeline: HTTP codec, keep-alive, whole request bodies (≤ 8 MiB), then the handler. */
final class SimChannelInitializer extends ChannelInitializer<SocketChannel> {
    private static final int MAX_BODY_BYTES = 8 << 20;

    private final SimServer server;
    private final ObjectMapper mapper;
    private final SplittableRandom seeds;

    SimChannelInitializer(SimServer server, ObjectMapper mapper, long seed) {
        this.server = server;
        this.mapper = mapper;
        this.seeds = new SplittableRandom(seed);
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        SplittableRandom random;
        synchronized (seeds) {
            random = seeds.split();
        }
        ChannelPipeline p = ch.pipeline();
        p.addLast(new HttpServerCodec());
        p.addLast(new HttpServerKeepAliveHandler());
        p.addLast(new HttpObjectAggregator(MAX_BODY_BYTES));
        p.addLast(new SimHttpHandler(server, mapper, random));
    }
}
