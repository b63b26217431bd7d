package io.tokentap.bench.relay;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
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
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The measuring client of the relay benchmark: {@code --streams N} keep-alive connections to {@code --port}, each
 * streaming chat completions of {@code --events} events back to back from a {@link FastUpstream} (directly or
 * through a proxy; {@code --rate R} asks for R events per second per stream). Every event carries its send time; the probe takes one {@code System.nanoTime()} per socket read,
 * before any decoding, and records receive − send for every event after the warm-up. At the end it prints
 * {@code key=value} lines: the latency percentiles in microseconds, events and errors, and, for the processes given
 * with {@code --watch PID,PID}, their CPU seconds (user + system, from {@code /proc/PID/stat}) over the measured
 * window and their RSS at its end.
 *
 * <p>{@code --slow}: the client reads the response head and then stops reading (a slow client), so that what a
 * proxy holds for a stalled reader shows in its memory. {@code --hold S}: after the window, keep the streams open S
 * seconds after writing {@code --ready-file} (the script samples the proxy's heap meanwhile).
 *
 * <pre>java -cp tokentap-bench.jar io.tokentap.bench.relay.RelayProbe --port 19101 --streams 1000 --events 100
 *     --warmup 5 --duration 10 --watch 1234</pre>
 */
public final class RelayProbe {

    static final byte[] MARKER = "\"content\":\"T".getBytes(StandardCharsets.US_ASCII);

    private final Histogram latency = new Histogram(60_000_000_000L, 3);
    private long events;
    private long measuredEvents;
    private long requests;
    private long errors;
    private int activeStreams;
    private volatile boolean measuring;
    private volatile boolean stopping;

    public static void main(String[] args) throws Exception {
        Args a = new Args(args);
        new RelayProbe().run(a);
    }

    private void run(Args a) throws Exception {
        int port = a.intValue("--port", 19101);
        int streams = a.intValue("--streams", 100);
        int eventsPerRequest = a.intValue("--events", 100);
        double warmup = a.doubleValue("--warmup", 5);
        double duration = a.doubleValue("--duration", 10);
        boolean slow = a.flag("--slow");
        double hold = a.doubleValue("--hold", 0);
        String readyFile = a.value("--ready-file", "");
        List<Integer> watch = new ArrayList<>();
        for (String p : a.value("--watch", "").split(",")) {
            if (!p.isBlank()) {
                watch.add(Integer.parseInt(p.trim()));
            }
        }
        String rate = a.value("--rate", "");
        byte[] body = ("{\"model\":\"bench\",\"stream\":true,\"max_tokens\":" + eventsPerRequest
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"stream\"}]}").getBytes(StandardCharsets.UTF_8);

        EventLoopGroup group = new MultiThreadIoEventLoopGroup(a.intValue("--threads", 1), NioIoHandler.newFactory());
        List<Channel> channels = new ArrayList<>();
        try {
            Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 20_000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            Stamp stamp = new Stamp();
                            ch.pipeline().addLast(stamp, new HttpClientCodec(),
                                    new StreamHandler(stamp, body, port, slow, rate));
                        }
                    });
            // Connect in batches: a burst of 10,000 SYNs overflows the accept backlog of a proxy.
            long t0 = System.nanoTime();
            for (int i = 0; i < streams; i++) {
                var f = b.connect("127.0.0.1", port);
                f.addListener(done -> {
                    if (!done.isSuccess()) {
                        errors++;
                    }
                });
                channels.add(f.channel());
                if (i % 250 == 249) {
                    Thread.sleep(25);
                }
            }
            // Every stream has its response head before the warm-up starts (at most 60 s), so that a path that is slow
            // to open streams is not measured with fewer of them.
            for (int i = 0; i < 600 && !slow && group.submit(() -> activeStreams).get() < streams; i++) {
                Thread.sleep(100);
            }
            double connectSeconds = (System.nanoTime() - t0) / 1e9;
            Thread.sleep((long) (warmup * 1000));
            long[] cpu0 = cpuTicks(watch);
            long jit0 = jitTicks(watch);
            group.submit(() -> {
                measuring = true;
            }).sync();
            long w0 = System.nanoTime();
            Thread.sleep((long) (duration * 1000));
            long[] counts = group.submit(() -> {
                measuring = false;
                return new long[] {measuredEvents, requests, errors, activeStreams};
            }).get();
            double window = (System.nanoTime() - w0) / 1e9;
            long[] cpu1 = cpuTicks(watch);
            double jitSeconds = (jitTicks(watch) - jit0) / 100.0;
            double userSeconds = (cpu1[0] - cpu0[0]) / 100.0;
            double sysSeconds = (cpu1[1] - cpu0[1]) / 100.0;
            double cpuSeconds = userSeconds + sysSeconds;
            long rssKb = 0;
            for (int pid : watch) {
                rssKb += rssKb(pid);
            }
            Histogram h = group.submit(latency::copy).get();
            long active = counts[3];
            System.out.printf("streams=%d%nopen_s=%.1f%nactive_streams=%d%nwindow_s=%.2f%nevents=%d%n"
                            + "events_per_s=%.0f%nrequests=%d%nerrors=%d%n",
                    streams, connectSeconds, active, window, counts[0], counts[0] / window, counts[1], counts[2]);
            System.out.printf("p50_us=%.1f%np90_us=%.1f%np99_us=%.1f%np999_us=%.1f%nmax_us=%.1f%nmean_us=%.1f%n",
                    h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3,
                    h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3,
                    h.getMean() / 1e3);
            if (!watch.isEmpty()) {
                double millions = counts[0] == 0 ? Double.NaN : counts[0] / 1e6;
                System.out.printf("cpu_s=%.2f%ncpu_s_per_million_events=%.2f%ncpu_user_s_per_million_events=%.2f%n"
                                + "cpu_sys_s_per_million_events=%.2f%njit_cpu_s_per_million_events=%.2f%nrss_mb=%.1f%n",
                        cpuSeconds, cpuSeconds / millions, userSeconds / millions, sysSeconds / millions,
                        jitSeconds / millions, rssKb / 1024.0);
            }
            System.out.flush();
            if (hold > 0) {
                if (!readyFile.isEmpty()) {
                    Files.writeString(Path.of(readyFile), "ready\n");
                }
                Thread.sleep((long) (hold * 1000));
            }
        } finally {
            stopping = true;
            for (Channel c : channels) {
                c.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** User and system CPU ticks (1/100 s) used so far by all of {@code pids}: {user, system}. */
    public static long[] cpuTicks(List<Integer> pids) {
        long[] t = new long[2];
        for (int pid : pids) {
            try {
                long[] u = statTicks(Path.of("/proc/" + pid + "/stat"));
                t[0] += u[0];
                t[1] += u[1];
            } catch (Exception e) {
                // a process that is gone adds nothing
            }
        }
        return t;
    }

    /** User and system ticks from a process's or a thread's {@code stat} file: {user, system}. */
    private static long[] statTicks(Path stat) throws java.io.IOException {
        String s = Files.readString(stat);
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        // Fields 14 and 15 of stat (utime, stime), counted from the state field (3).
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
    }

    /**
     * CPU ticks (user + system) used so far by the JIT compiler threads of the JVMs among {@code pids} (threads named
     * {@code C1 CompilerThread…} or {@code C2 CompilerThread…}): compiling is warm-up, which a proxy that has run
     * for hours has finished, so the relay table gives it apart. 0 for processes that are not JVMs.
     */
    public static long jitTicks(List<Integer> pids) {
        long t = 0;
        for (int pid : pids) {
            try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
                for (Path task : (Iterable<Path>) tasks::iterator) {
                    try {
                        String comm = Files.readString(task.resolve("comm")).trim();
                        if (!comm.startsWith("C1 Compiler") && !comm.startsWith("C2 Compiler")) {
                            continue;
                        }
                        long[] u = statTicks(task.resolve("stat"));
                        t += u[0] + u[1];
                    } catch (Exception e) {
                        // a thread that ended adds nothing
                    }
                }
            } catch (Exception e) {
                // a process that is gone adds nothing
            }
        }
        return t;
    }

    static long rssKb(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            return 0;
        }
        return 0;
    }

    /** The read's time, taken before the HTTP codec sees its bytes. */
    static final class Stamp extends ChannelInboundHandlerAdapter {
        long nanos;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            nanos = System.nanoTime();
            ctx.fireChannelRead(msg);
        }
    }

    private final class StreamHandler extends ChannelInboundHandlerAdapter {
        private final Stamp stamp;
        private final byte[] body;
        private final int port;
        private final boolean slow;
        private final String rate;
        private int matched;
        private int digits;
        private long value;
        private boolean inResponse;

        StreamHandler(Stamp stamp, byte[] body, int port, boolean slow, String rate) {
            this.stamp = stamp;
            this.rate = rate;
            this.body = body;
            this.port = port;
            this.slow = slow;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            send(ctx);
        }

        private void send(ChannelHandlerContext ctx) {
            if (stopping) {
                return;
            }
            var req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/chat/completions",
                    Unpooled.wrappedBuffer(body));
            req.headers().set(HttpHeaderNames.HOST, "127.0.0.1:" + port)
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            if (!rate.isEmpty()) {
                req.headers().set("x-bench-rate", rate);
            }
            ctx.writeAndFlush(req, ctx.voidPromise());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse r) {
                    if (r.status().code() != 200) {
                        errors++;
                    }
                    inResponse = true;
                    activeStreams++;
                    if (slow) {
                        ctx.channel().config().setAutoRead(false);
                    }
                }
                if (msg instanceof HttpContent c) {
                    scan(c.content());
                    if (msg instanceof LastHttpContent) {
                        requests++;
                        if (inResponse) {
                            inResponse = false;
                            activeStreams--;
                        }
                        send(ctx);
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        /** Finds {@code "content":"T} and the 19 digits after it; a match may span reads. */
        private void scan(ByteBuf buf) {
            for (int i = buf.readerIndex(), end = buf.writerIndex(); i < end; i++) {
                byte c = buf.getByte(i);
                if (matched < MARKER.length) {
                    matched = c == MARKER[matched] ? matched + 1 : (c == MARKER[0] ? 1 : 0);
                    continue;
                }
                value = value * 10 + (c - '0');
                if (++digits == 19) {
                    events++;
                    if (measuring) {
                        measuredEvents++;
                        long d = stamp.nanos - value;
                        latency.recordValue(Math.max(0, Math.min(d, latency.getHighestTrackableValue())));
                    }
                    matched = 0;
                    digits = 0;
                    value = 0;
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (inResponse) {
                activeStreams--;
                inResponse = false;
            }
            if (!stopping) {
                errors++;
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors++;
            ctx.close();
        }
    }
}
