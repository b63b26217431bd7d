package io.tokentap.sim.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** Whole (non-streamed) responses. */
final class Responses {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Responses() {}

    static void json(Channel ch, HttpResponseStatus status, String body, String requestId) {
        send(ch, status, "application/json", body, requestId, 0);
    }

    static void text(Channel ch, HttpResponseStatus status, String contentType, String body) {
        send(ch, status, contentType, body, null, 0);
    }

    static void error(Channel ch, Route route, ApiError error, int retryAfterSeconds, String requestId) {
        String body = route == Route.MESSAGES ? error.anthropicJson(MAPPER) : error.openAiJson(MAPPER);
        send(ch, HttpResponseStatus.valueOf(error.status()), "application/json", body, requestId, retryAfterSeconds);
    }

    private static void send(Channel ch, HttpResponseStatus status, String contentType, String body, String requestId,
            int retryAfterSeconds) {
        ByteBuf buf = ByteBufUtil.writeUtf8(ch.alloc(), body);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, buf);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, buf.readableBytes());
        if (requestId != null) {
            res.headers().set("x-request-id", requestId);
        }
        if (retryAfterSeconds > 0) {
            res.headers().setInt(HttpHeaderNames.RETRY_AFTER, retryAfterSeconds);
        }
        ch.writeAndFlush(res);
    }
}
