package io.tokentap.proxy.relay;

import com.fasterxml.jackson.core.JsonFactory;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.ChannelGroupFuture;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.tokentap.net.Transports;
import io.tokentap.proxy.capture.TrafficCapture;
import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.config.RelayConfig;
import io.tokentap.proxy.config.UpstreamConfig;
import io.tokentap.proxy.metrics.ProxyMetrics;
import io.tokentap.proxy.protect.Protection;
import io.tokentap.proxy.protect.tenant.TenantResolver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The sidecar relay: accepts HTTP/1.1 on the configured address and relays every request to the upstream, streaming
 * both ways, while the timing tap measures each response. The caller owns the event loop groups (NIO transport),
 * which lets one process run a simulator, the proxy and a load generator on shared loops.
 *
 * <pre>{@code
 * EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
 * EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
 * try (ProxyServer proxy = new ProxyServer(config, metrics, boss, workers)) {
 *     InetSocketAddress bound = proxy.start();
 *     ...
 * }
 * }</pre>
 */
public final class ProxyServer implements AutoCloseable {

    private final ProxyConfig config;
    private final ProxyMetrics metrics;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final TimingTap tap;
    private final RequestLog requestLog;
    private final RelayErrors errors;
    private final Protection protection;
    private final ChannelGroup clients = new DefaultChannelGroup("tokentap-proxy-clients",
            GlobalEventExecutor.INSTANCE);
    private TrafficCapture capture = TrafficCapture.NONE;
    private UpstreamPool pool;
    private volatile Channel serverChannel;
    private volatile boolean draining;
    private boolean closed;

    /** With the configured request log (standard output when {@code log.requests} is on). */
    public ProxyServer(ProxyConfig config, ProxyMetrics metrics, EventLoopGroup bossGroup,
                       EventLoopGroup workerGroup) {
        this(config, metrics, bossGroup, workerGroup, new WireFormatTap(config.relay().tapMaxBytes()),
                config.log().requests() ? new JsonLinesRequestLog(System.out) : RequestLog.NONE);
    }

    public ProxyServer(ProxyConfig config, ProxyMetrics metrics, EventLoopGroup bossGroup, EventLoopGroup workerGroup,
                       TimingTap tap, RequestLog requestLog) {
        this(config, metrics, bossGroup, workerGroup, tap, requestLog, null);
    }

    /** A protected relay with the default timing tap and request log (see the constructor below). */
    public ProxyServer(ProxyConfig config, ProxyMetrics metrics, EventLoopGroup bossGroup, EventLoopGroup workerGroup,
                       Protection protection) {
        this(config, metrics, bossGroup, workerGroup, new WireFormatTap(config.relay().tapMaxBytes()),
                config.log().requests() ? new JsonLinesRequestLog(System.out) : RequestLog.NONE, protection);
    }

    /**
     * A relay that protects its upstream: admission limits and load shedding before connecting, retries with
     * backoff, the circuit breaker and the four timeouts ({@code protection} null for none).
     */
    public ProxyServer(ProxyConfig config, ProxyMetrics metrics, EventLoopGroup bossGroup, EventLoopGroup workerGroup,
                       TimingTap tap, RequestLog requestLog, Protection protection) {
        this.protection = protection;
        this.config = config;
        this.metrics = metrics;
        this.bossGroup = bossGroup;
        this.workerGroup = workerGroup;
        this.tap = tap;
        this.requestLog = requestLog;
        this.errors = new RelayErrors(metrics);
    }

    /**
     * Records sampled requests to {@code c} (see {@link io.tokentap.proxy.capture.CaptureWriter}); call before
     * {@link #start()}. The caller closes it after {@link #close()}, so that requests finished by the drain are in it.
     */
    public ProxyServer capture(TrafficCapture c) {
        if (serverChannel != null) {
            throw new IllegalStateException("already started");
        }
        this.capture = c == null ? TrafficCapture.NONE : c;
        return this;
    }

    /** Binds the listen address and returns the bound address (useful with port 0). */
    public InetSocketAddress start() throws InterruptedException {
        if (serverChannel != null) {
            throw new IllegalStateException("already started");
        }
        UpstreamConfig up = config.upstream();
        RelayConfig relay = config.relay();
        int loops = 0;
        for (var ignored : workerGroup) {
            loops++;
        }
        pool = new UpstreamPool(up, relay, new InetSocketAddress(up.host(), up.port()), Math.max(1, loops), errors);
        RelayContext rc = new RelayContext(config, metrics, pool, tap, requestLog, errors, new JsonFactory(),
                protection, capture, new TenantResolver(config.protection().tenants()));
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(Transports.serverChannel(bossGroup))
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(relay.writeBufferLowBytes(), relay.writeBufferHighBytes()))
                .childHandler(new RelayInitializer(rc, clients));
        serverChannel = b.bind(config.server().listen().toSocketAddress()).sync().channel();
        return localAddress();
    }

    public InetSocketAddress localAddress() {
        return serverChannel == null ? null : (InetSocketAddress) serverChannel.localAddress();
    }

    public ProxyConfig config() {
        return config;
    }

    /** Completes when the listening socket closes. */
    public ChannelFuture closeFuture() {
        return serverChannel.closeFuture();
    }

    /** Open client connections. */
    public int clientConnections() {
        return clients.size();
    }

    /**
     * Bytes queued in the proxy for clients that have not taken them yet, over all client connections (including
     * Netty's per-message bookkeeping, as the write-buffer water marks count it). Thread-safe.
     */
    public long pendingClientBytes() {
        long sum = 0;
        for (Channel ch : clients) {
            var out = ch.unsafe().outboundBuffer();
            if (out != null) {
                sum += out.totalPendingWriteBytes();
            }
        }
        return sum;
    }

    /**
     * Shuts down gently: stops accepting, closes idle client connections, lets every response in flight finish
     * (announcing {@code Connection: close}), and returns when all client connections are closed or the grace
     * period is over, whichever comes first. Then {@link #close()} ends whatever is left. Must not be called from
     * an event loop.
     *
     * @return whether every connection finished within the grace period
     */
    public boolean drain(Duration grace) throws InterruptedException {
        draining = true;
        if (serverChannel != null) {
            serverChannel.close().await(5, TimeUnit.SECONDS);
        }
        ChannelGroupFuture allClosed = clients.newCloseFuture();
        for (Channel ch : clients) {
            ch.eventLoop().execute(() -> {
                ClientRelayHandler h = ch.pipeline().get(ClientRelayHandler.class);
                if (h != null) {
                    h.drainConnection();
                } else {
                    ch.close();
                }
            });
        }
        boolean done = allClosed.await(grace.toMillis(), TimeUnit.MILLISECONDS);
        close();
        return done;
    }

    /** Whether {@link #drain} has begun: a readiness check reports not ready from then on. */
    public boolean draining() {
        return draining;
    }

    /** Stops accepting, closes every client connection and the upstream pool. The event loops stay up. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (pool != null) {
            pool.close();
        }
        if (requestLog instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the request log", e);
            }
        }
    }
}
