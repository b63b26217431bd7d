package io.tokentap.proxy.drain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Graceful drain with a real process and a real signal: {@code tokentap proxy} runs in a JVM of its own, a stream is
 * in flight, and the test sends SIGTERM ({@link Process#destroy()} on Linux). {@code /readyz} turns 503 at once, new
 * connections are refused, the stream finishes complete, and the process exits when it has, within the grace
 * period.
 */
@Timeout(120)
class SigtermDrainTest {

    /** The start-up line, which also says how many event loops the flag asked for. */
    private static final Pattern LISTEN = Pattern.compile("listening on [^:]+:(\\d+), relaying to .* \\((epoll|nio), 1 event loops, pooled buffers\\)");
    private static final Pattern ADMIN = Pattern.compile("admin on [^:]+:(\\d+)");
    private static final int EVENTS = 20;
    private static final long GAP_MILLIS = 100;

    /** An upstream that streams EVENTS SSE events, GAP_MILLIS apart, to every request. */
    private static Channel slowUpstream(EventLoopGroup group) throws InterruptedException {
        return slowUpstream(group, EVENTS);
    }

    /** An upstream that streams {@code events} SSE events, GAP_MILLIS apart, to every request. */
    private static Channel slowUpstream(EventLoopGroup group, int events) throws InterruptedException {
        return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new SimpleChannelInboundHandler<HttpObject>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
                                if (!(msg instanceof HttpRequest)) {
                                    return;
                                }
                                var head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                                head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
                                        .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
                                ctx.writeAndFlush(head);
                                for (int i = 0; i < events; i++) {
                                    int n = i;
                                    ctx.executor().schedule(() -> {
                                        ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(
                                                "data: " + n + "\n\n", StandardCharsets.UTF_8)));
                                        if (n == events - 1) {
                                            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                                        }
                                    }, (i + 1) * GAP_MILLIS, TimeUnit.MILLISECONDS);
                                }
                            }
                        });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    private static int readyz(HttpClient http, int adminPort) {
        try {
            return http.send(java.net.http.HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + adminPort + "/readyz")).timeout(Duration.ofSeconds(2))
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private record Started(Process process, int port, int adminPort) {
    }

    /** Starts {@code tokentap proxy} in a JVM of its own and reads its ports from its output. */
    private static Started startProxy(int upPort, String drainTimeout) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process proxy = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                ProxyProcessMain.class.getName(), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                "--upstream", "http://127.0.0.1:" + upPort, "--drain-timeout", drainTimeout, "--event-loops", "1")
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(proxy.getInputStream(),
                StandardCharsets.UTF_8));
        int port = -1;
        int adminPort = -1;
        for (String line; (port < 0 || adminPort < 0) && (line = out.readLine()) != null; ) {
            Matcher m = LISTEN.matcher(line);
            if (m.find()) {
                port = Integer.parseInt(m.group(1));
            }
            Matcher a = ADMIN.matcher(line);
            if (a.find()) {
                adminPort = Integer.parseInt(a.group(1));
            }
        }
        assertThat(port).as("the proxy said where it listens").isPositive();
        assertThat(adminPort).isPositive();
        // Keep draining the child's output so it never blocks on a full pipe.
        Thread drainOutput = new Thread(() -> {
            try {
                while (out.readLine() != null) {
                    // discard
                }
            } catch (Exception ignored) {
                // the process ended
            }
        });
        drainOutput.setDaemon(true);
        drainOutput.start();
        return new Started(proxy, port, adminPort);
    }

    /** Sends a streaming request and reads until the first event has arrived. */
    private static Socket openStream(int port) throws Exception {
        Socket client = new Socket("127.0.0.1", port);
        client.setSoTimeout(30_000);
        String body = "{\"model\":\"m\",\"stream\":true}";
        client.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.UTF_8));
        InputStream in = client.getInputStream();
        StringBuilder seen = new StringBuilder();
        byte[] buf = new byte[8192];
        while (!seen.toString().contains("data: 0\n")) {
            int n = in.read(buf);
            assertThat(n).isPositive();
            seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
        return client;
    }

    /**
     * The reported hang: clients cancel their streams (reset or close mid-stream), then SIGTERM. The process must
     * exit within the grace period and a few seconds, however the shutdown goes.
     */
    @Test
    void sigtermAfterClientsCancelledTheirStreamsExitsWithinTheGracePeriod() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Process proxy = null;
        List<Socket> kept = new ArrayList<>();
        try {
            // 10 s streams: the kept ones outlast the grace period, so the drain ends by closing them.
            Channel up = slowUpstream(group, 100);
            Started started = startProxy(((InetSocketAddress) up.localAddress()).getPort(), "3s");
            proxy = started.process();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            await().atMost(Duration.ofSeconds(20)).until(() -> readyz(http, started.adminPort()) == 200);

            for (int i = 0; i < 24; i++) {
                Socket s = openStream(started.port());
                if (i % 3 == 0) {
                    s.setSoLinger(true, 0); // a reset, as a killed client's kernel sends with unread data
                    s.close();
                } else if (i % 3 == 1) {
                    s.close(); // an orderly cancel
                } else {
                    kept.add(s); // still streaming, not read any more: the drain has to wait for these
                }
            }

            long signalled = System.nanoTime();
            proxy.destroy(); // SIGTERM
            await().atMost(Duration.ofSeconds(2)).until(() -> readyz(http, started.adminPort()) != 200);
            assertThat(proxy.waitFor(3 + 8, TimeUnit.SECONDS))
                    .as("exits within the 3 s grace period and the bounded close").isTrue();
            long exitMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
            assertThat(exitMillis).isLessThan(11_000);
        } finally {
            for (Socket s : kept) {
                s.close();
            }
            if (proxy != null && proxy.isAlive()) {
                proxy.destroyForcibly();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void sigtermStopsAcceptingTurnsReadinessOffAndLetsTheStreamFinish() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Process proxy = null;
        try {
            Channel up = slowUpstream(group);
            int upPort = ((InetSocketAddress) up.localAddress()).getPort();
            Started started = startProxy(upPort, "20s");
            proxy = started.process();
            int port = started.port();
            int adminPort = started.adminPort();

            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            int admin = adminPort;
            await().atMost(Duration.ofSeconds(20)).until(() -> readyz(http, admin) == 200);

            try (Socket client = new Socket("127.0.0.1", port)) {
                client.setSoTimeout(30_000);
                OutputStream os = client.getOutputStream();
                String body = "{\"model\":\"m\",\"stream\":true}";
                os.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                os.flush();
                InputStream in = client.getInputStream();
                StringBuilder seen = new StringBuilder();
                byte[] buf = new byte[8192];
                while (!seen.toString().contains("data: 1\n")) {
                    int n = in.read(buf);
                    assertThat(n).isPositive();
                    seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }

                long signalled = System.nanoTime();
                proxy.destroy(); // SIGTERM
                await().atMost(Duration.ofSeconds(2)).until(() -> readyz(http, admin) == 503);
                long notReadyMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
                int p = port;
                await().atMost(Duration.ofSeconds(2)).untilAsserted(() ->
                        assertThatThrownBy(() -> new Socket("127.0.0.1", p).close())
                                .as("new connections are refused").isInstanceOf(java.io.IOException.class));
                assertThat(proxy.isAlive()).as("still finishing the stream").isTrue();

                CompletableFuture<String> restOfStream = CompletableFuture.supplyAsync(() -> {
                    try {
                        for (int n; (n = in.read(buf)) > 0; ) {
                            seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                            if (seen.toString().endsWith("0\r\n\r\n")) {
                                break;
                            }
                        }
                    } catch (java.io.IOException e) {
                        // the end of the connection
                    }
                    return seen.toString();
                });
                String stream = restOfStream.get(30, TimeUnit.SECONDS);
                assertThat(stream).contains("data: " + (EVENTS - 1) + "\n").endsWith("0\r\n\r\n");
                assertThat(proxy.waitFor(20, TimeUnit.SECONDS)).as("the process exits after the stream").isTrue();
                long exitMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
                assertThat(notReadyMillis).isLessThan(2000);
                assertThat(exitMillis).as("exited when the stream ended, not at the 20 s deadline")
                        .isLessThan(15_000);
            }
        } finally {
            if (proxy != null && proxy.isAlive()) {
                proxy.destroyForcibly();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
