package io.tokentap.sim.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The calibration sweep over HTTP against a running simulator ({@code bench/sim/calibrate.sh}): the workload of
 * {@code CalibrationTest} (prompts of 400–600 tokens, closed-loop users ramped in over 5 model seconds, Retry-After
 * honoured), with every latency measured by the client on the wire and converted back to model time with the time
 * scale. Prints the table and exits 1 when a bound of the published table's shape is broken.
 *
 * <pre>java -cp … io.tokentap.sim.bench.CalibrationClient PORT TIME_SCALE [MIN_REQUESTS]</pre>
 */
public final class CalibrationClient {
    static final int[] LEVELS = {1, 8, 16, 32, 64, 128};
    static final double[] TABLE = {58, 410, 735, 1180, 1450, 1310};
    static final String[] WORDS = {"the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "as", "with", "on"};

    record Level(int concurrency, double throughput, double p50, double p95, double p99, double errorPct) {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        double scale = Double.parseDouble(args[1]);
        int minRequests = args.length > 2 ? Integer.parseInt(args[2]) : 40;
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        List<Level> rows = new ArrayList<>();
        try {
            System.out.println("| concurrency | throughput (tok/s) | TTFT p50 | TTFT p95 | TTFT p99 | errors |");
            System.out.println("|---|---|---|---|---|---|");
            for (int c : LEVELS) {
                Level l = new Run(group, port, scale, c, Math.max(minRequests, 5 * c)).run();
                rows.add(l);
                System.out.printf(Locale.ROOT, "| %d | %,.0f | %.0f ms | %.0f ms | %.0f ms | %.1f%% |%n", c, l.throughput,
                        l.p50 * 1e3, l.p95 * 1e3, l.p99 * 1e3, l.errorPct);
            }
        } finally {
            group.shutdownGracefully().sync();
        }
        List<String> broken = new ArrayList<>();
        for (int i : new int[] {0, 1, 3, 4}) {
            double t = rows.get(i).throughput;
            if (t < TABLE[i] * 0.75 || t > TABLE[i] * 1.25) {
                broken.add("throughput at " + LEVELS[i] + " is " + Math.round(t) + ", not within 25% of " + TABLE[i]);
            }
        }
        int peak = 0;
        for (int i = 1; i < rows.size(); i++) {
            if (rows.get(i).throughput > rows.get(peak).throughput) {
                peak = i;
            }
        }
        if (Math.abs(peak - 4) > 1) {
            broken.add("peak throughput at " + LEVELS[peak] + ", not 64 give or take one level");
        }
        if (rows.get(5).p95 < 3 * rows.get(3).p95) {
            broken.add("TTFT p95 at 128 is under 3x its value at 32");
        }
        for (int i = 0; i < 4; i++) {
            if (rows.get(i).errorPct > 0) {
                broken.add("errors at " + LEVELS[i]);
            }
        }
        if (rows.get(5).errorPct == 0) {
            broken.add("no errors at 128");
        }
        System.out.println(broken.isEmpty() ? "calibration: all bounds hold" : "calibration: BROKEN " + broken);
        System.exit(broken.isEmpty() ? 0 : 1);
    }

    /** One level: {@code users} connections in a closed loop until {@code requests} requests ended. */
    static final class Run {
        final EventLoopGroup group;
        final int port;
        final double scale;
        final int users;
        final int requests;
        final SplittableRandom random;
        final List<Double> ttfts = new ArrayList<>();
        final CountDownLatch done;
        long rampEndNanos;
        long windowEndNanos = Long.MAX_VALUE;
        int started;
        int ended;
        int errors;
        long windowTokens;

        Run(EventLoopGroup group, int port, double scale, int users, int requests) {
            this.group = group;
            this.port = port;
            this.scale = scale;
            this.users = users;
            this.requests = requests;
            this.random = new SplittableRandom(users);
            this.done = new CountDownLatch(users);
        }

        Level run() throws Exception {
            EventLoop loop = group.next(); // every user on one loop: the counters above need no locks
            long rampNanos = (long) (5e9 / scale);
            rampEndNanos = System.nanoTime() + rampNanos;
            Bootstrap b = new Bootstrap().group(loop).channel(NioSocketChannel.class).option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new User());
                        }
                    });
            for (int i = 0; i < users; i++) {
                Channel ch = b.connect("127.0.0.1", port).sync().channel();
                long delay = (long) (random.nextDouble() * rampNanos);
                loop.schedule(() -> ((User) ch.pipeline().last()).next(ch), delay, TimeUnit.NANOSECONDS);
            }
            if (!done.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("level " + users + " did not finish");
            }
            double[] t = ttfts.stream().mapToDouble(d -> d * scale).sorted().toArray();
            double seconds = (windowEndNanos - rampEndNanos) / 1e9 * scale;
            return new Level(users, windowTokens / seconds, pct(t, 50), pct(t, 95), pct(t, 99), 100.0 * errors / ended);
        }

        final class User extends SimpleChannelInboundHandler<HttpObject> {
            long sentNanos;
            boolean first;
            boolean ok;
            int retryAfter;
            final StringBuilder pending = new StringBuilder();

            void next(Channel ch) {
                if (started >= requests) {
                    ch.close();
                    done.countDown();
                    return;
                }
                if (++started == requests) {
                    windowEndNanos = System.nanoTime();
                }
                int prompt = 400 + random.nextInt(201) - 6; // 6 tokens of chat framing
                StringBuilder words = new StringBuilder(prompt * 4);
                for (int i = 0; i < prompt; i++) {
                    words.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
                }
                byte[] body = ("{\"model\":\"m\",\"stream\":true,\"max_tokens\":4096,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"" + words + "\"}]}").getBytes(StandardCharsets.UTF_8);
                FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                        "/v1/chat/completions", Unpooled.wrappedBuffer(body));
                req.headers().set(HttpHeaderNames.HOST, "127.0.0.1").set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
                sentNanos = System.nanoTime();
                first = true;
                pending.setLength(0);
                ch.writeAndFlush(req);
            }

            @Override
            protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
                long now = System.nanoTime();
                if (msg instanceof HttpResponse r) {
                    ok = r.status().code() == 200;
                    retryAfter = r.headers().getInt(HttpHeaderNames.RETRY_AFTER, 0);
                }
                if (msg instanceof HttpContent c && ok) {
                    pending.append(c.content().toString(StandardCharsets.UTF_8));
                    int end;
                    while ((end = pending.indexOf("\n\n")) >= 0) {
                        boolean content = pending.lastIndexOf("\"delta\":{\"content\":\"", end) >= 0;
                        pending.delete(0, end + 2);
                        if (content) {
                            if (first) {
                                first = false;
                                ttfts.add((now - sentNanos) / 1e9);
                            }
                            if (now >= rampEndNanos && now <= windowEndNanos) {
                                windowTokens++;
                            }
                        }
                    }
                }
                if (msg instanceof LastHttpContent) {
                    ended++;
                    if (!ok) {
                        errors++;
                        ctx.executor().schedule(() -> next(ctx.channel()), (long) (retryAfter * 1e9 / scale),
                                TimeUnit.NANOSECONDS);
                    } else {
                        next(ctx.channel());
                    }
                }
            }
        }
    }

    static double pct(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
