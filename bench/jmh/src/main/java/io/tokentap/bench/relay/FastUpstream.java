package io.tokentap.bench.relay;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A fast streaming upstream for the relay benchmarks: answers {@code POST /v1/chat/completions} with an OpenAI chat
 * SSE stream of {@code max_tokens} content events (the request's, else {@code --events}), each carrying the
 * {@code System.nanoTime()} taken right before its write as its text ({@code "content":"T<19 digits>"}). Clients
 * on the same host share the clock, so receive − send is the latency of that event through whatever path it took.
 *
 * <p>Paced ({@code --rate R}): each stream sends R events per second from its own timer on the event loop, its
 * first event at a random offset so that the streams' events spread evenly; a request header {@code x-bench-rate}
 * sets its own stream's rate. A stream whose connection is not
 * writable skips the tick (counted), so a slow reader never makes this server buffer. Unpaced ({@code --rate 0}):
 * events go out as fast as the connection takes them, {@code --batch} events per write. {@code GET /stats} answers
 * the counters.
 *
 * <pre>java -cp tokentap-bench.jar io.tokentap.bench.relay.FastUpstream --port 19100 --rate 20 [--threads 1]</pre>
 */
public final class FastUpstream {

    /** Receives each send: a ground-truth log for the accuracy harness. */
    public interface SendLog {
        SendLog NONE = new SendLog() { };

        /** A request arrived (its body read whole); {@code key} is its {@code "model"}. */
        default void requestArrived(String key, long nanos) { }

        /** Content event {@code index} of the request was handed to the socket at {@code nanos}. */
        default void eventSent(String key, int index, long nanos) { }
    }

    static final byte[] PREFIX = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"T"
            .getBytes(StandardCharsets.US_ASCII);
    static final byte[] SUFFIX = "\"},\"finish_reason\":null}]}\n\n".getBytes(StandardCharsets.US_ASCII);
    static final int EVENT_BYTES = PREFIX.length + 19 + SUFFIX.length;

    private final int defaultEvents;
    private final double rate;
    private final int batch;
    private final SendLog log;
    final LongAdder eventsSent = new LongAdder();
    final LongAdder ticksSkipped = new LongAdder();
    final LongAdder requests = new LongAdder();
    final LongAdder streamsOpen = new LongAdder();
    private Channel server;

    public FastUpstream(int defaultEvents, double rate, int batch, SendLog log) {
        this.defaultEvents = defaultEvents;
        this.rate = rate;
        this.batch = Math.max(1, batch);
        this.log = log;
    }

    public InetSocketAddress start(EventLoopGroup group, String host, int port) throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 16384)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new Handler());
                    }
                }).bind(host, port).sync().channel();
        return (InetSocketAddress) server.localAddress();
    }

    public void close() {
        if (server != null) {
            server.close().syncUninterruptibly();
        }
    }

    /** Writes {@code nanos} as 19 ASCII digits (zero-padded) at the writer index. */
    static void writeNanos(ByteBuf b, long nanos) {
        int at = b.writerIndex();
        b.writerIndex(at + 19);
        long v = nanos;
        for (int i = 18; i >= 0; i--) {
            b.setByte(at + i, (int) ('0' + v % 10));
            v /= 10;
        }
    }

    /** The value of an integer JSON field, or -1. Good enough for the bodies benchmark clients send. */
    static long intField(String body, String name) {
        int i = body.indexOf("\"" + name + "\"");
        if (i < 0) {
            return -1;
        }
        i = body.indexOf(':', i) + 1;
        while (i < body.length() && body.charAt(i) == ' ') {
            i++;
        }
        int j = i;
        while (j < body.length() && Character.isDigit(body.charAt(j))) {
            j++;
        }
        return j > i ? Long.parseLong(body.substring(i, j)) : -1;
    }

    static String stringField(String body, String name) {
        int i = body.indexOf("\"" + name + "\"");
        if (i < 0) {
            return "";
        }
        int q = body.indexOf('"', body.indexOf(':', i) + 1);
        int e = body.indexOf('"', q + 1);
        return q < 0 || e < 0 ? "" : body.substring(q + 1, e);
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private Stream stream;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            long arrived = System.nanoTime();
            if (req.uri().startsWith("/stats")) {
                String json = "{\"events_sent\":" + eventsSent.sum() + ",\"ticks_skipped\":" + ticksSkipped.sum()
                        + ",\"requests\":" + requests.sum() + ",\"streams_open\":" + streamsOpen.sum() + "}\n";
                var res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        Unpooled.copiedBuffer(json, StandardCharsets.US_ASCII));
                res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
                ctx.writeAndFlush(res);
                return;
            }
            if (!req.method().name().equals("POST")) {
                var res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND);
                res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                ctx.writeAndFlush(res);
                return;
            }
            String body = req.content().toString(StandardCharsets.UTF_8);
            long n = intField(body, "max_tokens");
            String key = stringField(body, "model");
            log.requestArrived(key, arrived);
            requests.increment();
            var head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
                    .set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
            HttpUtil.setTransferEncodingChunked(head, true);
            ctx.write(head, ctx.voidPromise());
            String r = req.headers().get("x-bench-rate");
            stream = new Stream(ctx, key, (int) (n > 0 ? n : defaultEvents), r == null ? rate : Double.parseDouble(r));
            streamsOpen.increment();
            stream.begin();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (stream != null && !stream.paced() && ctx.channel().isWritable()) {
                stream.burst();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (stream != null) {
                stream.stop();
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        private final class Stream {
            final ChannelHandlerContext ctx;
            final String key;
            final int total;
            final double streamRate;
            int sent;
            io.netty.util.concurrent.Future<?> timer;
            boolean done;

            Stream(ChannelHandlerContext ctx, String key, int total, double streamRate) {
                this.ctx = ctx;
                this.key = key;
                this.total = total;
                this.streamRate = streamRate;
            }

            boolean paced() {
                return streamRate > 0;
            }

            void begin() {
                if (paced()) {
                    long period = Math.max(1, (long) (1e9 / streamRate));
                    long offset = ThreadLocalRandom.current().nextLong(period);
                    ctx.flush();
                    timer = ctx.executor().scheduleAtFixedRate(this::tick, offset, period, TimeUnit.NANOSECONDS);
                } else {
                    burst();
                }
            }

            void tick() {
                if (done) {
                    return;
                }
                if (!ctx.channel().isWritable()) {
                    ticksSkipped.increment();
                    return;
                }
                ByteBuf b = ctx.alloc().directBuffer(EVENT_BYTES);
                b.writeBytes(PREFIX);
                long now = System.nanoTime();
                writeNanos(b, now);
                b.writeBytes(SUFFIX);
                ctx.writeAndFlush(new DefaultHttpContent(b), ctx.voidPromise());
                log.eventSent(key, sent, now);
                eventsSent.increment();
                if (++sent == total) {
                    finish();
                }
            }

            void burst() {
                while (!done && ctx.channel().isWritable()) {
                    int k = Math.min(batch, total - sent);
                    ByteBuf b = ctx.alloc().directBuffer(EVENT_BYTES * k);
                    long now = System.nanoTime();
                    for (int i = 0; i < k; i++) {
                        b.writeBytes(PREFIX);
                        writeNanos(b, now);
                        b.writeBytes(SUFFIX);
                        log.eventSent(key, sent + i, now);
                    }
                    ctx.writeAndFlush(new DefaultHttpContent(b), ctx.voidPromise());
                    eventsSent.add(k);
                    sent += k;
                    if (sent == total) {
                        finish();
                    }
                }
            }

            void finish() {
                done = true;
                if (timer != null) {
                    timer.cancel(false);
                }
                streamsOpen.decrement();
                String tail = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}],"
                        + "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":" + total + ",\"total_tokens\":"
                        + (total + 8) + "}}\n\ndata: [DONE]\n\n";
                ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer(tail, StandardCharsets.US_ASCII)),
                        ctx.voidPromise());
                ctx.writeAndFlush(new DefaultLastHttpContent(), ctx.voidPromise());
                stream = null;
            }

            void stop() {
                if (!done) {
                    done = true;
                    streamsOpen.decrement();
                    if (timer != null) {
                        timer.cancel(false);
                    }
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Args a = new Args(args);
        int port = a.intValue("--port", 19100);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(a.intValue("--threads", 1), NioIoHandler.newFactory());
        FastUpstream up = new FastUpstream(a.intValue("--events", 100), a.doubleValue("--rate", 20),
                a.intValue("--batch", 1), SendLog.NONE);
        InetSocketAddress addr = up.start(group, "127.0.0.1", port);
        System.out.println("fast upstream on " + addr);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            up.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }));
        Thread.currentThread().join();
    }
}
