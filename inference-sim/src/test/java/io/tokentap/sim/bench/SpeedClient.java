package io.tokentap.sim.bench;

import io.netty.bootstrap.Bootstrap;
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
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.LongAdder;

/**
 * Load for the simulator's speed benchmark ({@code bench/sim/speed.sh}): {@code connections} keep-alive connections,
 * each streaming chat completions back to back, counting SSE events (blank-line terminated) as they arrive.
 * Prints streamed events per second over the measured window.
 *
 * <pre>java -cp … io.tokentap.sim.bench.SpeedClient PORT CONNECTIONS MAX_TOKENS WARMUP_S MEASURE_S</pre>
 */
public final class SpeedClient {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int connections = Integer.parseInt(args[1]);
        int maxTokens = Integer.parseInt(args[2]);
        int warmupSeconds = Integer.parseInt(args[3]);
        int measureSeconds = Integer.parseInt(args[4]);
        byte[] body = ("{\"model\":\"tiny\",\"stream\":true,\"max_tokens\":" + maxTokens + ",\"ignore_eos\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"How fast can you stream?\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        LongAdder events = new LongAdder();
        LongAdder requests = new LongAdder();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new SimpleChannelInboundHandler<HttpObject>() {
                                int newlines;

                                @Override
                                public void channelActive(ChannelHandlerContext ctx) {
                                    send(ctx.channel(), body, port);
                                }

                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
                                    if (msg instanceof HttpContent c) {
                                        ByteBuf buf = c.content();
                                        int n = 0;
                                        for (int i = buf.readerIndex(); i < buf.writerIndex(); i++) {
                                            if (buf.getByte(i) == '\n') {
                                                if (++newlines == 2) {
                                                    n++;
                                                }
                                            } else {
                                                newlines = 0;
                                            }
                                        }
                                        events.add(n);
                                        if (msg instanceof LastHttpContent) {
                                            requests.increment();
                                            send(ctx.channel(), body, port);
                                        }
                                    }
                                }
                            });
                        }
                    });
            for (int i = 0; i < connections; i++) {
                b.connect("127.0.0.1", port).sync();
            }
            Thread.sleep(warmupSeconds * 1000L);
            long e0 = events.sum();
            long r0 = requests.sum();
            long t0 = System.nanoTime();
            Thread.sleep(measureSeconds * 1000L);
            double s = (System.nanoTime() - t0) / 1e9;
            long e = events.sum() - e0;
            long r = requests.sum() - r0;
            System.out.printf("connections=%d max_tokens=%d: %,.0f streamed events/s, %,.0f requests/s (%d events, %.1f s)%n",
                    connections, maxTokens, e / s, r / s, e, s);
        } finally {
            group.shutdownGracefully().sync();
        }
    }

    private static void send(Channel ch, byte[] body, int port) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/chat/completions",
                Unpooled.wrappedBuffer(body));
        req.headers().set(HttpHeaderNames.HOST, "127.0.0.1:" + port)
                .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        ch.writeAndFlush(req);
    }
}
