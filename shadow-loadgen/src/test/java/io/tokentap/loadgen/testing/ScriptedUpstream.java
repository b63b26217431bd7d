package io.tokentap.loadgen.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small OpenAI-compatible upstream for tests: it streams chat.completions SSE (role chunk, one content chunk per
 * token, a usage chunk, [DONE]) on a schedule: first token after {@code ttftMillis}, then one every
 * {@code itlMillis}; output length from {@code max_tokens}. It can answer with an error status, and it can stall:
 * while {@link #stallUntilNanos} is in the future, a request's first token waits until then.
 */
public final class ScriptedUpstream implements AutoCloseable {

    public volatile long ttftMillis = 5;
    public volatile long itlMillis = 2;
    public volatile int status = 200;
    /** Requests beyond this many at once are answered 503 (an overloaded server); 0 for no limit. */
    public volatile int maxConcurrentBeforeError;
    /** Sent as {@code retry-after-ms} with every error answer when set. */
    public volatile String retryAfterMs;
    public volatile long stallUntilNanos;
    public final AtomicInteger requests = new AtomicInteger();
    public final AtomicInteger connections = new AtomicInteger();
    public final AtomicInteger maxConcurrent = new AtomicInteger();
    public final Queue<JsonNode> bodies = new ConcurrentLinkedQueue<>();
    public final Queue<String> tenantKeys = new ConcurrentLinkedQueue<>();
    private final AtomicLong concurrent = new AtomicLong();
    private final ObjectMapper mapper = new ObjectMapper();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;

    public ScriptedUpstream() throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(io.netty.channel.ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.incrementAndGet();
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 24), new Handler());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    public String url() {
        return "http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
            requests.incrementAndGet();
            JsonNode body = mapper.readTree(req.content().toString(StandardCharsets.UTF_8));
            bodies.add(body);
            String tenant = req.headers().get("x-api-key");
            if (tenant != null) {
                tenantKeys.add(tenant);
            }
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            int limit = maxConcurrentBeforeError;
            int answer = limit > 0 && concurrent.get() >= limit ? 503 : status;
            if (answer != 200) {
                DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.valueOf(answer),
                        Unpooled.copiedBuffer("{\"error\":{\"message\":\"no\"}}", StandardCharsets.UTF_8));
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
                if (retryAfterMs != null) {
                    r.headers().set("retry-after-ms", retryAfterMs);
                }
                HttpUtil.setContentLength(r, r.content().readableBytes());
                ctx.writeAndFlush(r);
                return;
            }
            long n = concurrent.incrementAndGet();
            maxConcurrent.accumulateAndGet((int) n, Math::max);
            int tokens = body.path("max_tokens").asInt(10);
            DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
            HttpUtil.setTransferEncodingChunked(head, true);
            HttpUtil.setKeepAlive(head, keepAlive);
            ctx.writeAndFlush(head);
            send(ctx, "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}");
            long stall = Math.max(0, stallUntilNanos - System.nanoTime());
            long delay = TimeUnit.MILLISECONDS.toNanos(ttftMillis) + stall;
            ctx.executor().schedule(() -> token(ctx, 0, tokens), delay, TimeUnit.NANOSECONDS);
        }

        private void token(ChannelHandlerContext ctx, int i, int tokens) {
            if (!ctx.channel().isActive()) {
                concurrent.decrementAndGet();
                return;
            }
            if (i < tokens) {
                send(ctx, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok\"}}]}");
                ctx.executor().schedule(() -> token(ctx, i + 1, tokens), itlMillis, TimeUnit.MILLISECONDS);
                return;
            }
            send(ctx, "{\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":" + tokens
                    + ",\"total_tokens\":" + (tokens + 7) + "}}");
            ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer("data: [DONE]\n\n", StandardCharsets.UTF_8)));
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            concurrent.decrementAndGet();
        }

        private void send(ChannelHandlerContext ctx, String json) {
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer("data: " + json + "\n\n", StandardCharsets.UTF_8)));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            ctx.fireChannelInactive();
        }
    }

    /** The {@code max_tokens} of every request received. */
    public List<Integer> maxTokens() {
        return bodies.stream().map(b -> b.path("max_tokens").asInt(-1)).toList();
    }
}
