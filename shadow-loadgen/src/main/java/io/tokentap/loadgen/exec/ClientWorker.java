package io.tokentap.loadgen.exec;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.tokentap.loadgen.result.RequestOutcome;
import io.tokentap.net.Transports;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections of one event loop: a keep-alive pool (one request per connection at a time), connections opened
 * on demand up to a limit, and a bounded queue for requests due while every connection is busy. Every method runs
 * on {@link #loop}, so the pool needs no locks.
 */
final class ClientWorker {

    private static final Logger log = LoggerFactory.getLogger(ClientWorker.class);

    final EventLoop loop;
    private final ExecutorSettings settings;
    private final Bootstrap bootstrap;
    private final LongSupplier nanoTime;
    private final int maxConnections;
    private final int maxQueue;
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();
    private final ArrayDeque<InFlightRequest> waiting = new ArrayDeque<>();
    private final Set<Channel> all = new HashSet<>();
    private int connecting;
    private final AtomicLong connectionsOpened;
    private long lastErrorLogNanos;

    ClientWorker(EventLoop loop, ExecutorSettings settings, int maxConnections, int maxQueue, AtomicLong connectionsOpened) {
        this.loop = loop;
        this.settings = settings;
        this.nanoTime = settings.nanoTime();
        this.maxConnections = maxConnections;
        this.maxQueue = maxQueue;
        this.connectionsOpened = connectionsOpened;
        long pauseNanos = settings.client().readPause().toNanos();
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(Transports.socketChannel(loop))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, pauseNanos == 0)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        settings.client().timeout().toMillis()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("http", new HttpClientCodec());
                        ch.pipeline().addLast("stream", new StreamClientHandler(ClientWorker.this, nanoTime,
                                settings.client().abortAfterTokens(), pauseNanos));
                    }
                });
    }

    /** Sends {@code r} on an idle connection, a new one, or queues it; drops it when the queue is full. */
    void submit(InFlightRequest r) {
        Channel ch = pollIdle();
        if (ch != null) {
            send(ch, r);
        } else if (all.size() + connecting < maxConnections) {
            connect(r);
        } else if (waiting.size() < maxQueue) {
            waiting.add(r);
        } else {
            r.recorder.dropped();
            r.onEnd.accept(r, RequestOutcome.DROPPED);
        }
    }

    private Channel pollIdle() {
        Channel ch;
        while ((ch = idle.pollLast()) != null) {
            if (ch.isActive()) {
                return ch;
            }
        }
        return null;
    }

    private void connect(InFlightRequest r) {
        connecting++;
        ChannelFuture f = bootstrap.connect(settings.target().host(), settings.target().port());
        f.addListener((ChannelFuture cf) -> {
            connecting--;
            if (cf.isSuccess()) {
                all.add(cf.channel());
                connectionsOpened.incrementAndGet();
                send(cf.channel(), r);
            } else {
                connectionError(cf.cause());
                r.sentNanos = nanoTime.getAsLong();
                r.end(nanoTime.getAsLong(), RequestOutcome.CONNECTION_ERROR);
                pump();
            }
        });
    }

    private void send(Channel ch, InFlightRequest r) {
        StreamClientHandler h = ch.pipeline().get(StreamClientHandler.class);
        h.begin(r);
        FullHttpRequest req = encode(r);
        r.sentNanos = nanoTime.getAsLong();
        long timeoutNanos = settings.client().timeout().toNanos();
        r.timeout = loop.schedule(() -> abort(ch, r, RequestOutcome.TIMEOUT), timeoutNanos, TimeUnit.NANOSECONDS);
        long abortNanos = settings.client().abortAfter().toNanos();
        if (abortNanos > 0) {
            r.abortTimer = loop.schedule(() -> abort(ch, r, RequestOutcome.CLIENT_CANCEL), abortNanos, TimeUnit.NANOSECONDS);
        }
        ch.writeAndFlush(req).addListener(f -> {
            if (!f.isSuccess()) {
                ch.close();
            }
        });
        if (!ch.config().isAutoRead()) {
            ch.read();
        }
    }

    private FullHttpRequest encode(InFlightRequest r) {
        byte[] body = settings.bodies().encode(r.spec);
        ByteBuf content = Unpooled.wrappedBuffer(body);
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                settings.target().uri(r.spec.route()), content);
        req.headers().set(HttpHeaderNames.HOST, settings.target().hostHeader());
        req.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        req.headers().set(HttpHeaderNames.ACCEPT, "text/event-stream, application/json");
        req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        for (Map.Entry<String, String> e : settings.client().headers().entrySet()) {
            req.headers().set(e.getKey(), e.getValue());
        }
        String tenantKey = settings.tenantKey(r.spec.tenant());
        if (tenantKey != null) {
            req.headers().set(settings.client().tenantHeader(), tenantKey);
        }
        return req;
    }

    /** Ends {@code r} with {@code o} and closes its connection (a half-read HTTP/1.1 response cannot be reused). */
    private void abort(Channel ch, InFlightRequest r, RequestOutcome o) {
        if (r.ended()) {
            return;
        }
        StreamClientHandler h = ch.pipeline().get(StreamClientHandler.class);
        if (h != null && h.current() == r) {
            h.finish(ch.pipeline().context(h), r, nanoTime.getAsLong(), o, false);
        } else {
            r.end(nanoTime.getAsLong(), o);
            ch.close();
        }
    }

    /** A response ended; the connection goes back to the pool, or is closed. */
    void released(Channel ch, boolean reusable) {
        if (!reusable || !ch.isActive()) {
            ch.close();
            return;
        }
        InFlightRequest next = waiting.poll();
        if (next != null) {
            send(ch, next);
        } else {
            idle.addLast(ch);
        }
    }

    /** A connection closed; a waiting request may now open a new one. */
    void closed(Channel ch) {
        all.remove(ch);
        idle.remove(ch);
        pump();
    }

    private void pump() {
        while (!waiting.isEmpty() && all.size() + connecting < maxConnections) {
            InFlightRequest next = waiting.poll();
            Channel ch = pollIdle();
            if (ch != null) {
                send(ch, next);
            } else {
                connect(next);
            }
        }
    }

    void connectionError(Throwable cause) {
        long now = nanoTime.getAsLong();
        // At most one line a second: a failing target would otherwise flood the console.
        if (now - lastErrorLogNanos > 1_000_000_000L) {
            lastErrorLogNanos = now;
            log.warn("connection to {} failed: {}", settings.target(), String.valueOf(cause));
        }
    }

    /** Ends every waiting and running request with {@code o} and closes the connections (Ctrl-C, run end). */
    void cancelAll(RequestOutcome o) {
        long now = nanoTime.getAsLong();
        List<InFlightRequest> queued = new ArrayList<>(waiting);
        waiting.clear();
        for (InFlightRequest r : queued) {
            r.sentNanos = now;
            r.end(now, o);
        }
        for (Channel ch : new ArrayList<>(all)) {
            StreamClientHandler h = ch.pipeline().get(StreamClientHandler.class);
            if (h != null && h.current() != null) {
                h.finish(ch.pipeline().context(h), h.current(), now, o, false);
            } else {
                ch.close();
            }
        }
    }

    int openConnections() {
        return all.size();
    }

    int queued() {
        return waiting.size();
    }
}
