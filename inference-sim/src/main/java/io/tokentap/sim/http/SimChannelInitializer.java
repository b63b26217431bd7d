package io.tokentap.sim.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.util.SplittableRandom;

/** The simulator's pipeline: flush consolidation, HTTP codec, keep-alive, whole request bodies (≤ 8 MiB), the handler. */
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
        // Flushes issued during a read wait for its end. Tokens need no consolidation here: Generation already
        // gathers the events one task writes to a channel into one chunk and one flush.
        p.addLast(new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, false));
        p.addLast(new HttpServerCodec());
        p.addLast(new HttpServerKeepAliveHandler());
        p.addLast(new HttpObjectAggregator(MAX_BODY_BYTES));
        p.addLast(new SimHttpHandler(server, mapper, random));
    }
}
