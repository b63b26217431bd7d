package io.tokentap.proxy.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code GET /metrics}, {@code /healthz} and {@code /readyz}. Stateless, so one instance serves every admin
 * connection. The admin server has its own event loop, so a slow scrape never delays relayed traffic.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
    static final String TEXT_PLAIN = "text/plain; charset=utf-8";
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final ReadinessCheck readiness;

    AdminHandler(PrometheusMeterRegistry registry, ReadinessCheck readiness) {
        this.registry = registry;
        this.readiness = readiness;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        String uri = req.uri();
        int q = uri.indexOf('?');
        String path = q >= 0 ? uri.substring(0, q) : uri;
        boolean head = HttpMethod.HEAD.equals(req.method());
        if (!HttpMethod.GET.equals(req.method()) && !head) {
            respond(ctx, req, HttpResponseStatus.METHOD_NOT_ALLOWED, TEXT_PLAIN, "GET only\n", head);
            return;
        }
        switch (path) {
            case "/metrics": {
                String accept = req.headers().get(HttpHeaderNames.ACCEPT, "");
                // Only the two text formats: a protobuf Accept (Prometheus with native histograms) falls back
                // to text, which every Prometheus reads.
                String type = accept.contains("application/openmetrics-text")
                        ? OPENMETRICS_TEXT : PROMETHEUS_TEXT;
                respond(ctx, req, HttpResponseStatus.OK, type, registry.scrape(type), head);
                break;
            }
            case "/healthz":
                respond(ctx, req, HttpResponseStatus.OK, TEXT_PLAIN, "ok\n", head);
                break;
            case "/readyz": {
                Readiness r;
                try {
                    r = readiness.check();
                } catch (RuntimeException e) {
                    r = Readiness.notReady("readiness check failed: " + e.getClass().getSimpleName());
                }
                respond(ctx, req, r.ready() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                        TEXT_PLAIN, r.reason() + "\n", head);
                break;
            }
            default:
                respond(ctx, req, HttpResponseStatus.NOT_FOUND, TEXT_PLAIN,
                        "not found; try /metrics, /healthz, /readyz\n", head);
        }
    }

    private static void respond(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status,
                                String contentType, String body, boolean head) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ByteBuf content = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(res);
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("admin connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
