package io.tokentap.proxy.relay;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A small HTTP/1.1 server for tests that answers each request with a scripted response: a head, then steps (send
 * these bytes, pause, send a bulk of events as fast as the connection takes them), then an ending (a clean end, or
 * closing the connection mid-stream). It records when it sent each piece ({@code System.nanoTime()}), the requests
 * it received and when each connection closed, to serve as the ground truth for the proxy's measurements.
 */
final class ScriptedUpstream implements AutoCloseable {

    /** A request as received, with the arrival time of each body part. */
    record Received(String method, String uri, HttpHeaders headers, String body, long headNanos,
                    List<Long> bodyPartNanos) { }

    /** A response script. */
    static final class Script {
        final int status;
        final HttpHeaders headers = new io.netty.handler.codec.http.DefaultHttpHeaders();
        final List<Object[]> steps = new ArrayList<>();
        boolean fixedLength;

        Script(int status) {
            this.status = status;
        }

        static Script sse() {
            Script s = new Script(200);
            s.headers.set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
            s.headers.set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
            s.headers.set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
            return s;
        }

        /** A complete response with Content-Length. */
        static Script fixed(int status, String contentType, String body) {
            Script s = new Script(status);
            s.fixedLength = true;
            s.headers.set(HttpHeaderNames.CONTENT_TYPE, contentType);
            s.headers.setInt(HttpHeaderNames.CONTENT_LENGTH, body.getBytes(StandardCharsets.UTF_8).length);
            s.steps.add(new Object[] {"send", body});
            s.steps.add(new Object[] {"end"});
            return s;
        }

        Script header(String name, String value) {
            headers.add(name, value);
            return this;
        }

        Script send(String text) {
            steps.add(new Object[] {"send", text});
            return this;
        }

        Script pause(Duration d) {
            steps.add(new Object[] {"pause", d});
            return this;
        }

        /** {@code count} events of {@code eventBytes} each, written only while the connection is writable. */
        Script bulk(int count, int eventBytes) {
            steps.add(new Object[] {"bulk", count, eventBytes});
            return this;
        }

        Script end() {
            steps.add(new Object[] {"end"});
            return this;
        }

        /** Closes the connection without ending the response. */
        Script die() {
            steps.add(new Object[] {"die"});
            return this;
        }
    }

    private final EventLoopGroup group;
    private final Function<Received, Script> scripts;
    private Channel server;

    final Queue<Received> received = new ConcurrentLinkedQueue<>();
    /** Send time of every "send" step, in order, over all requests. */
    final List<Long> sendNanos = new CopyOnWriteArrayList<>();
    final List<Long> closedNanos = new CopyOnWriteArrayList<>();
    final AtomicInteger connectionsOpened = new AtomicInteger();
    final AtomicInteger connectionsOpen = new AtomicInteger();
    final AtomicLong bytesFlushed = new AtomicLong();
    final AtomicLong bodyPartsReceived = new AtomicLong();

    ScriptedUpstream(EventLoopGroup group, Function<Received, Script> scripts) {
        this.group = group;
        this.scripts = scripts;
    }

    InetSocketAddress start() throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connectionsOpened.incrementAndGet();
                        connectionsOpen.incrementAndGet();
                        ch.closeFuture().addListener(f -> {
                            closedNanos.add(System.nanoTime());
                            connectionsOpen.decrementAndGet();
                        });
                        ch.pipeline().addLast(new HttpServerCodec(), new Handler());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        return (InetSocketAddress) server.localAddress();
    }

    String url() {
        InetSocketAddress a = (InetSocketAddress) server.localAddress();
        return "http://127.0.0.1:" + a.getPort();
    }

    @Override
    public void close() {
        if (server != null) {
            server.close().syncUninterruptibly();
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<HttpObject> {
        private HttpRequest request;
        private long headNanos;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private final List<Long> partNanos = new ArrayList<>();
        private Runnable onWritable;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            long now = System.nanoTime();
            if (msg instanceof HttpRequest r) {
                request = r;
                headNanos = now;
                body.reset();
                partNanos.clear();
            }
            if (msg instanceof HttpContent c) {
                if (c.content().isReadable()) {
                    partNanos.add(now);
                    bodyPartsReceived.incrementAndGet();
                    byte[] b = new byte[c.content().readableBytes()];
                    c.content().getBytes(c.content().readerIndex(), b);
                    body.write(b, 0, b.length);
                }
                if (c instanceof LastHttpContent) {
                    Received rec = new Received(request.method().name(), request.uri(), request.headers().copy(),
                            body.toString(StandardCharsets.UTF_8), headNanos, List.copyOf(partNanos));
                    received.add(rec);
                    Script s = scripts.apply(rec);
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                            HttpResponseStatus.valueOf(s.status), s.headers.copy());
                    ctx.writeAndFlush(head);
                    run(ctx, s, 0);
                }
            }
        }

        private void run(ChannelHandlerContext ctx, Script s, int i) {
            if (i >= s.steps.size() || !ctx.channel().isActive()) {
                return;
            }
            Object[] step = s.steps.get(i);
            switch ((String) step[0]) {
                case "send" -> {
                    send(ctx, (String) step[1], true);
                    run(ctx, s, i + 1);
                }
                case "pause" -> ctx.executor().schedule(() -> run(ctx, s, i + 1),
                        ((Duration) step[1]).toNanos(), TimeUnit.NANOSECONDS);
                case "bulk" -> bulk(ctx, s, i, (int) step[1], (int) step[2]);
                case "end" -> ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                case "die" -> ctx.channel().close();
                default -> throw new IllegalStateException(String.valueOf(step[0]));
            }
        }

        private void send(ChannelHandlerContext ctx, String text, boolean record) {
            ByteBuf b = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
            int n = b.readableBytes();
            if (record) {
                sendNanos.add(System.nanoTime());
            }
            ctx.writeAndFlush(new DefaultHttpContent(b)).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    bytesFlushed.addAndGet(n);
                }
            });
        }

        private void bulk(ChannelHandlerContext ctx, Script s, int i, int remaining, int eventBytes) {
            int left = remaining;
            String event = "data: " + "x".repeat(Math.max(1, eventBytes - 8)) + "\n\n";
            while (left > 0 && ctx.channel().isActive() && ctx.channel().isWritable()) {
                send(ctx, event, false);
                left--;
            }
            if (left == 0) {
                run(ctx, s, i + 1);
            } else {
                int rest = left;
                onWritable = () -> bulk(ctx, s, i, rest, eventBytes);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable() && onWritable != null) {
                Runnable r = onWritable;
                onWritable = null;
                r.run();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
