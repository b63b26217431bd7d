package io.tokentap.sim.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.tokentap.net.Transports;
import io.tokentap.sim.engine.Engine;
import io.tokentap.sim.engine.NettyEngineExecutor;
import io.tokentap.sim.metrics.DcgmMetrics;
import io.tokentap.sim.metrics.SimMetrics;
import io.tokentap.sim.profile.Profile;
import io.tokentap.sim.truth.GroundTruth;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The simulated inference server: Netty HTTP in front of one {@link Engine}.
 *
 * <pre>
 * try (SimServer sim = SimServer.start(new SimServer.Options(profile, "127.0.0.1", 0, 10.0, null, 42, 1))) {
 *     URI base = URI.create("http://127.0.0.1:" + sim.port());
 *     ...
 * }
 * </pre>
 */
public final class SimServer implements AutoCloseable {

    /**
     * @param timeScale model seconds per wall second (1: real time)
     * @param groundTruthFile where to write the ground truth, or null for none
     * @param groundTruthInMemory record ground truth for {@code GET /ground-truth} even without a file
     * @param ioThreads event loop threads for the connections
     */
    public record Options(Profile profile, String host, int port, double timeScale, Path groundTruthFile,
            boolean groundTruthInMemory, long seed, int ioThreads) {
        public Options {
            if (profile == null) {
                throw new IllegalArgumentException("profile: null (expected: a profile)");
            }
            if (!(timeScale > 0) || Double.isInfinite(timeScale)) {
                throw new IllegalArgumentException("timeScale: " + timeScale + " (expected: > 0)");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
            }
            if (ioThreads < 1) {
                throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 1)");
            }
        }
    }

    private final Profile profile;
    private final EventLoopGroup group;
    private final DefaultEventExecutor engineThread;
    private final Engine engine;
    private final SimMetrics metrics;
    private final DcgmMetrics dcgm;
    private final GroundTruth groundTruth;
    private final long startEpochSeconds = System.currentTimeMillis() / 1000;
    private final java.util.concurrent.atomic.AtomicLong ids = new java.util.concurrent.atomic.AtomicLong();
    private Channel serverChannel;

    private SimServer(Options o) {
        this.profile = o.profile();
        this.metrics = new SimMetrics(profile, o.timeScale());
        this.dcgm = new DcgmMetrics(profile, System::nanoTime);
        this.group = new MultiThreadIoEventLoopGroup(o.ioThreads(), new DefaultThreadFactory("sim-io", true),
                Transports.ioHandlerFactory());
        // With one I/O thread the engine shares its event loop: tokens reach the sockets without a thread hop, which
        // is what lets one core stream tens of thousands of events per second. With more, the engine gets its own.
        this.engineThread = o.ioThreads() == 1 ? null : new DefaultEventExecutor(new DefaultThreadFactory("sim-engine", true));
        this.engine = new Engine(profile, new NettyEngineExecutor(engineThread != null ? engineThread : group.next()),
                metrics, new SplittableRandom(o.seed()), o.timeScale());
        this.groundTruth = o.groundTruthFile() != null || o.groundTruthInMemory()
                ? new GroundTruth(o.groundTruthFile(), 10_000) : new GroundTruth(null, 0);
    }

    /** Binds and starts serving. */
    public static SimServer start(Options o) throws InterruptedException {
        SimServer s = new SimServer(o);
        try {
            s.serverChannel = new ServerBootstrap()
                    .group(s.group)
                    .channel(Transports.serverChannel(s.group))
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024))
                    .childHandler(new SimChannelInitializer(s, new ObjectMapper(), o.seed()))
                    .bind(new InetSocketAddress(o.host(), o.port())).sync().channel();
        } catch (RuntimeException | InterruptedException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** The bound port. */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public Profile profile() {
        return profile;
    }

    public Engine engine() {
        return engine;
    }

    public SimMetrics metrics() {
        return metrics;
    }

    DcgmMetrics dcgm() {
        return dcgm;
    }

    /** The ground-truth recorder (disabled unless asked for). */
    GroundTruth groundTruth() {
        return groundTruth;
    }

    long startEpochSeconds() {
        return startEpochSeconds;
    }

    long nextId() {
        return ids.incrementAndGet();
    }

    /** Blocks until the server channel closes. */
    public void awaitClose() throws InterruptedException {
        serverChannel.closeFuture().sync();
    }

    @Override
    public void close() {
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        if (engineThread != null) {
            engineThread.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
        try {
            groundTruth.close();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
