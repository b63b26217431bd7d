package io.tokentap.proxy.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.tokentap.net.Transports;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The admin HTTP server: {@code /metrics} (Prometheus text format, or OpenMetrics on request), {@code /healthz}
 * (the process is alive) and {@code /readyz} (the {@link ReadinessCheck}), on a port of its own.
 *
 * <pre>{@code
 * AdminServer admin = new AdminServer(config.admin(), adminGroup, registry, readiness);
 * InetSocketAddress bound = admin.start();
 * ...
 * admin.close();
 * }</pre>
 */
public final class AdminServer implements AutoCloseable {

    private static final int MAX_REQUEST_BYTES = 16 * 1024;
    private static final int IDLE_SECONDS = 60;

    private final AdminConfig config;
    private final EventLoopGroup group;
    private final AdminHandler handler;
    private Channel channel;

    public AdminServer(AdminConfig config, EventLoopGroup group, PrometheusMeterRegistry registry,
                       ReadinessCheck readiness) {
        this.config = Objects.requireNonNull(config, "config");
        this.group = Objects.requireNonNull(group, "group");
        this.handler = new AdminHandler(Objects.requireNonNull(registry, "registry"),
                Objects.requireNonNull(readiness, "readiness"));
    }

    /** Binds and returns the bound address (useful with port 0). */
    public synchronized InetSocketAddress start() throws InterruptedException {
        if (channel != null) {
            return (InetSocketAddress) channel.localAddress();
        }
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(Transports.serverChannel(group))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast(new ReadTimeoutHandler(IDLE_SECONDS))
                                .addLast(new HttpServerCodec())
                                .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                .addLast(handler);
                    }
                });
        channel = b.bind(config.listen().host(), config.listen().port()).sync().channel();
        return (InetSocketAddress) channel.localAddress();
    }

    /** Closes the listening socket, waiting at most 5 s for the admin loop to do it (it may be busy or stuck). */
    @Override
    public synchronized void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            channel = null;
        }
    }
}
