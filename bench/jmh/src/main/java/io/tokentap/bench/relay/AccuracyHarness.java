package io.tokentap.bench.relay;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.tokentap.core.timeline.RequestTimeline;
import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.config.UpstreamConfig;
import io.tokentap.proxy.metrics.MetricsConfig;
import io.tokentap.proxy.metrics.MicrometerProxyMetrics;
import io.tokentap.proxy.metrics.ProxyMetrics;
import io.tokentap.proxy.relay.ProxyServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * tokentap's TTFT and ITL against ground truth: the real relay ({@link ProxyServer} with the Micrometer metrics and
 * the default timing tap) between a {@link FastUpstream} that logs when it handed each event to its socket and a
 * client that logs when it sent each request, all in one process so that the three share one clock and each
 * request is matched by its {@code "model"} (a unique key per request, which the proxy reports raw to its metrics
 * interface; the Micrometer implementation beneath folds it into {@code other}).
 *
 * <ul>
 *   <li>ITL error, per gap: the proxy's gap between events k−1 and k − the upstream's gap between their sends.</li>
 *   <li>TTFT error, per request: the proxy's TTFT − (the upstream's send of the first event − the client's send of
 *       the request), i.e. how far the proxy's two stamps (request read, first event read) are from the events
 *       themselves.</li>
 * </ul>
 *
 * <pre>java -cp tokentap-bench.jar io.tokentap.bench.relay.AccuracyHarness --streams 1000 --rate 20 --events 50
 *     --warmup 5 --duration 10</pre>
 */
public final class AccuracyHarness {

    /** Ground truth and measurements of one request. */
    static final class Req {
        volatile long clientSend;
        final long[] sends;
        final long[] gaps;
        int gapCount;
        volatile long proxyTtft = -1;
        volatile boolean finished;

        Req(int events) {
            sends = new long[events];
            gaps = new long[events];
        }
    }

    private final ConcurrentHashMap<String, Req> requests = new ConcurrentHashMap<>();
    private final Histogram ttftError = new ConcurrentHistogram(60_000_000_000L, 3);
    private final Histogram itlError = new ConcurrentHistogram(60_000_000_000L, 3);
    private final Histogram ttftSigned = new ConcurrentHistogram(3);
    private volatile boolean measuring;
    private volatile boolean stopping;
    private int events;

    public static void main(String[] args) throws Exception {
        new AccuracyHarness().run(new Args(args));
    }

    private void run(Args a) throws Exception {
        int streams = a.intValue("--streams", 100);
        events = a.intValue("--events", 50);
        double rate = a.doubleValue("--rate", 20);
        double warmup = a.doubleValue("--warmup", 5);
        double duration = a.doubleValue("--duration", 10);
        int proxyThreads = a.intValue("--proxy-threads", Runtime.getRuntime().availableProcessors());

        EventLoopGroup upstreamGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(proxyThreads, NioIoHandler.newFactory());
        EventLoopGroup clientGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        FastUpstream upstream = new FastUpstream(events, rate, 1, new FastUpstream.SendLog() {
            @Override
            public void eventSent(String key, int index, long nanos) {
                Req r = requests.get(key);
                if (r != null && index < r.sends.length) {
                    r.sends[index] = nanos;
                }
            }
        });
        InetSocketAddress up = upstream.start(upstreamGroup, "127.0.0.1", 0);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ProxyMetrics micrometer = new MicrometerProxyMetrics(registry, MetricsConfig.DEFAULT, System::nanoTime);
        ProxyConfig config = ProxyConfig.forUpstream("http://127.0.0.1:" + up.getPort());
        UpstreamConfig u = config.upstream();
        config = config.withUpstream(new UpstreamConfig(URI.create("http://127.0.0.1:" + up.getPort()),
                streams * 2 + 64, streams * 2 + 64, u.connectTimeout(), u.acquireTimeout(), u.idleTimeout()));
        ProxyServer proxy = new ProxyServer(config, new Recording(micrometer), boss, workers);
        InetSocketAddress px = proxy.start();
        List<Channel> channels = new ArrayList<>();
        try {
            Bootstrap b = new Bootstrap().group(clientGroup).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new Client(px.getPort(), channels.size()));
                        }
                    });
            for (int i = 0; i < streams; i++) {
                channels.add(b.connect(px).sync().channel());
                if (i % 250 == 249) {
                    Thread.sleep(25);
                }
            }
            Thread.sleep((long) (warmup * 1000));
            measuring = true;
            Thread.sleep((long) (duration * 1000));
            measuring = false;
            Thread.sleep(200);
            System.out.printf("streams=%d%nrate=%.1f%nttft_samples=%d%nitl_samples=%d%n", streams, rate,
                    ttftError.getTotalCount(), itlError.getTotalCount());
            print("ttft_abs_err", ttftError);
            print("itl_abs_err", itlError);
            System.out.printf("ttft_err_signed_mean_us=%.1f%n", ttftSigned.getMean() / 1e3 - 1e6);
        } finally {
            stopping = true;
            for (Channel c : channels) {
                c.close();
            }
            proxy.close();
            upstream.close();
            for (EventLoopGroup g : List.of(clientGroup, workers, boss, upstreamGroup)) {
                g.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
    }

    private static void print(String name, Histogram h) {
        System.out.printf("%s_p50_us=%.1f%n%s_p99_us=%.1f%n%s_p999_us=%.1f%n%s_max_us=%.1f%n",
                name, h.getValueAtPercentile(50) / 1e3, name, h.getValueAtPercentile(99) / 1e3,
                name, h.getValueAtPercentile(99.9) / 1e3, name, h.getMaxValue() / 1e3);
    }

    private void evaluate(Req r) {
        if (!measuring || r.proxyTtft < 0 || r.sends[0] == 0) {
            return;
        }
        long truthTtft = r.sends[0] - r.clientSend;
        long err = r.proxyTtft - truthTtft;
        ttftError.recordValue(Math.min(Math.abs(err), ttftError.getHighestTrackableValue()));
        // Offset by 1 s so that the signed error fits a histogram of positive values.
        ttftSigned.recordValue(Math.max(0, err + 1_000_000_000L));
        for (int k = 1; k <= r.gapCount && k < r.sends.length; k++) {
            long truth = r.sends[k] - r.sends[k - 1];
            long e = Math.abs(r.gaps[k - 1] - truth);
            itlError.recordValue(Math.min(e, itlError.getHighestTrackableValue()));
        }
    }

    /** The production metrics, plus a per-request capture of what the relay measured. */
    private final class Recording implements ProxyMetrics {
        private final ProxyMetrics delegate;

        Recording(ProxyMetrics delegate) {
            this.delegate = delegate;
        }

        @Override
        public void requestStarted(String route, String model) {
            delegate.requestStarted(route, model);
        }

        @Override
        public RequestTimeline.IntervalListener intervals(String route, String model) {
            RequestTimeline.IntervalListener d = delegate.intervals(route, model);
            Req r = requests.get(model);
            if (r == null) {
                return d;
            }
            return (gapNanos, tokens) -> {
                if (r.gapCount < r.gaps.length) {
                    r.gaps[r.gapCount++] = gapNanos;
                }
                d.interTokenLatency(gapNanos, tokens);
            };
        }

        @Override
        public void requestFinished(String route, String model, RequestTimeline timeline) {
            delegate.requestFinished(route, model, timeline);
            Req r = requests.remove(model);
            if (r != null) {
                r.proxyTtft = timeline.ttftNanos();
                evaluate(r);
            }
        }

        @Override
        public void requestFinished(String route, String model, String tenant, RequestTimeline timeline) {
            requestFinished(route, model, timeline);
        }

        @Override
        public void rejected(String route, String model, String reason) {
            delegate.rejected(route, model, reason);
        }

        @Override
        public void relayError(String side, String cause) {
            delegate.relayError(side, cause);
        }
    }

    private final class Client extends ChannelInboundHandlerAdapter {
        private final int port;
        private final int id;
        private int seq;

        Client(int port, int id) {
            this.port = port;
            this.id = id;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            send(ctx);
        }

        private void send(ChannelHandlerContext ctx) {
            if (stopping) {
                return;
            }
            String key = "r" + id + "-" + (seq++);
            byte[] body = ("{\"model\":\"" + key + "\",\"stream\":true,\"max_tokens\":" + events
                    + ",\"messages\":[{\"role\":\"user\",\"content\":\"stream\"}]}").getBytes(StandardCharsets.UTF_8);
            var req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/chat/completions",
                    Unpooled.wrappedBuffer(body));
            req.headers().set(HttpHeaderNames.HOST, "127.0.0.1:" + port)
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            Req r = new Req(events);
            requests.put(key, r);
            r.clientSend = System.nanoTime();
            ctx.writeAndFlush(req, ctx.voidPromise());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            boolean last = msg instanceof LastHttpContent;
            ReferenceCountUtil.release(msg);
            if (last) {
                send(ctx);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
