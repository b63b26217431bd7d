package io.tokentap.proxy.relay;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.tokentap.proxy.config.ProxyConfig;
import java.net.InetSocketAddress;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** Real sockets on 127.0.0.1: a scripted upstream and the proxy in front of it, each on its own event loop. */
abstract class RelayTestSupport {

    static EventLoopGroup boss;
    static EventLoopGroup workers;
    static EventLoopGroup upstreamLoop;

    ScriptedUpstream upstream;
    ProxyServer proxy;
    RecordingMetrics metrics;
    InetSocketAddress proxyAddress;

    @BeforeAll
    static void loops() {
        boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        upstreamLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopLoops() {
        boss.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        upstreamLoop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    void start(Function<ScriptedUpstream.Received, ScriptedUpstream.Script> scripts) throws Exception {
        start(scripts, c -> c);
    }

    void start(Function<ScriptedUpstream.Received, ScriptedUpstream.Script> scripts,
               UnaryOperator<ProxyConfig> tweak) throws Exception {
        upstream = new ScriptedUpstream(upstreamLoop, scripts);
        upstream.start();
        startProxy(tweak.apply(ProxyConfig.forUpstream(upstream.url())));
    }

    void startProxy(ProxyConfig config) throws Exception {
        metrics = new RecordingMetrics();
        proxy = new ProxyServer(config, metrics, boss, workers);
        proxyAddress = proxy.start();
    }

    String proxyUrl() {
        return "http://127.0.0.1:" + proxyAddress.getPort();
    }
}
