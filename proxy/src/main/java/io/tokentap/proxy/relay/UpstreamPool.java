package io.tokentap.proxy.relay;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.AbstractChannelPoolMap;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.Future;
import io.tokentap.net.Transports;
import io.tokentap.proxy.config.RelayConfig;
import io.tokentap.proxy.config.UpstreamConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive connections to the upstream, one bounded {@link FixedChannelPool} per event loop. A client connection
 * only ever takes upstream connections from its own loop, so both ends of a relayed stream run on one thread and
 * its state needs no synchronisation.
 *
 * <p>Each pooled channel's pipeline is fixed when it is created: {@link ReadStamp}, an {@link IdleStateHandler}
 * (an unused connection is closed before the server's keep-alive timeout would close it under a new request),
 * {@link ChunkPassThrough} (unless turned off), {@link HttpClientCodec}, {@link UpstreamRelayHandler}; a request
 * attaches itself to the handler while it holds the channel.
 */
final class UpstreamPool implements AutoCloseable {

    private final AbstractChannelPoolMap<EventLoop, FixedChannelPool> pools;

    /**
     * @param address resolved once, at start: a sidecar's upstream is a fixed address, and resolving per connect
     *                would block the event loop
     */
    UpstreamPool(UpstreamConfig upstream, RelayConfig relay, InetSocketAddress address, int eventLoops,
                 RelayErrors errors) {
        int perLoop = Math.max(1, (upstream.maxConnections() + eventLoops - 1) / eventLoops);
        int maxRead = relay.readBufferBytes();
        int initialRead = Math.min(2048, maxRead);
        long idleMillis = upstream.idleTimeout().toMillis();
        boolean passFrames = ChunkPassThrough.enabled();
        AbstractChannelPoolHandler handler = new AbstractChannelPoolHandler() {
            @Override
            public void channelCreated(Channel ch) {
                ReadStamp stamp = new ReadStamp();
                ch.pipeline().addLast("stamp", stamp);
                ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS));
                ChunkPassThrough passThrough = passFrames ? new ChunkPassThrough(stamp) : null;
                if (passThrough != null) {
                    ch.pipeline().addLast("frames", passThrough);
                }
                ch.pipeline().addLast("codec", new HttpClientCodec());
                ch.pipeline().addLast("relay", new UpstreamRelayHandler(stamp, errors, passThrough));
            }

            @Override
            public void channelReleased(Channel ch) {
                // A request may have paused reads for a slow client; an idle pooled connection must read so that
                // it notices the server closing it.
                ch.config().setAutoRead(true);
            }
        };
        this.pools = new AbstractChannelPoolMap<>() {
            @Override
            protected FixedChannelPool newPool(EventLoop loop) {
                Bootstrap b = new Bootstrap()
                        .group(loop)
                        .channel(Transports.socketChannel(loop))
                        .remoteAddress(address)
                        .option(ChannelOption.TCP_NODELAY, true)
                        .option(ChannelOption.SO_KEEPALIVE, true)
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                                (int) Math.min(Integer.MAX_VALUE, upstream.connectTimeout().toMillis()))
                        .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                                new WriteBufferWaterMark(relay.writeBufferLowBytes(), relay.writeBufferHighBytes()))
                        .option(ChannelOption.RECVBUF_ALLOCATOR,
                                new AdaptiveRecvByteBufAllocator(Math.min(64, initialRead), initialRead, maxRead));
                return new FixedChannelPool(b, handler, ChannelHealthChecker.ACTIVE,
                        FixedChannelPool.AcquireTimeoutAction.FAIL, upstream.acquireTimeout().toMillis(),
                        perLoop, upstream.maxPendingAcquires(), true, true);
            }
        };
    }

    /** Must be called on {@code loop}; the future completes on it. */
    Future<Channel> acquire(EventLoop loop) {
        return pools.get(loop).acquire();
    }

    /**
     * Gives a channel back. A channel that cannot carry another request (closed, or with a response or request
     * half-relayed) is closed first, so the pool drops it.
     */
    void release(Channel ch, boolean reusable) {
        if (!reusable) {
            ch.close();
        }
        pools.get(ch.eventLoop()).release(ch);
    }

    /**
     * Fails pending acquires and closes the idle connections, waiting at most {@code timeoutMillis} in all.
     * {@link AbstractChannelPoolMap#close()} would wait without limit (and Netty closes idle channels on the
     * global executor, awaiting each close), which a shutdown hook must not. The pools stay in the map, closed: a
     * connection released later is closed by its pool instead of landing in a new one.
     */
    void close(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        List<Future<Void>> closed = new ArrayList<>();
        for (Map.Entry<EventLoop, FixedChannelPool> e : pools) {
            closed.add(e.getValue().closeAsync());
        }
        for (Future<Void> f : closed) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !f.await(left, TimeUnit.NANOSECONDS)) {
                return;
            }
        }
    }

    @Override
    public void close() {
        try {
            close(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
