package io.tokentap.sim.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.tokentap.sim.faults.FaultSpec;
import io.tokentap.sim.profile.Profile;
import io.tokentap.sim.truth.GroundTruth;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one connection: routes each request, answers the small endpoints at once and hands generations to the
 * engine through a {@link Generation}. Stateful (the generation in flight), so one per channel.
 */
final class SimHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(SimHttpHandler.class);

    private final SimServer server;
    private final RequestParser parser;
    private final SplittableRandom random;
    private Generation current;

    SimHttpHandler(SimServer server, ObjectMapper mapper, SplittableRandom random) {
        this.server = server;
        this.parser = new RequestParser(mapper);
        this.random = random;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        String path = new QueryStringDecoder(req.uri()).path();
        Route route = Route.of(path);
        if (route != null) {
            if (!HttpMethod.POST.equals(req.method())) {
                Responses.error(ctx.channel(), route, new ApiError(405, "Use POST for " + path + ".",
                        "invalid_request_error", null, "method_not_allowed"), 0, null);
                return;
            }
            generate(ctx, route, req);
            return;
        }
        if (!HttpMethod.GET.equals(req.method()) && !HttpMethod.HEAD.equals(req.method())) {
            Responses.error(ctx.channel(), Route.CHAT, new ApiError(405, "Use GET for " + path + ".",
                    "invalid_request_error", null, "method_not_allowed"), 0, null);
            return;
        }
        switch (path) {
            case "/health" -> Responses.text(ctx.channel(), HttpResponseStatus.OK, "text/plain", "");
            case "/v1/models" -> Responses.json(ctx.channel(), HttpResponseStatus.OK, models(), null);
            case "/metrics" -> Responses.text(ctx.channel(), HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
                    server.metrics().scrape(server.engine().state()));
            case "/dcgm/metrics" -> Responses.text(ctx.channel(), HttpResponseStatus.OK,
                    "text/plain; version=0.0.4; charset=utf-8", server.dcgm().scrape(server.engine().state()));
            case "/ground-truth" -> {
                GroundTruth truth = server.groundTruth();
                if (!truth.enabled()) {
                    Responses.error(ctx.channel(), Route.CHAT, new ApiError(404, "Ground truth is off: start the "
                            + "simulator with --ground-truth FILE.", "invalid_request_error", null, "not_found"), 0, null);
                } else {
                    Responses.json(ctx.channel(), HttpResponseStatus.OK, truth.json(), null);
                }
            }
            default -> Responses.error(ctx.channel(), Route.CHAT, new ApiError(404, "No route for " + path + ".",
                    "invalid_request_error", null, "not_found"), 0, null);
        }
    }

    private String models() {
        Profile p = server.profile();
        return "{\"object\":\"list\",\"data\":[{\"id\":" + Json.quote(p.model().name()) + ",\"object\":\"model\","
                + "\"created\":" + server.startEpochSeconds() + ",\"owned_by\":\"tokentap-sim\",\"root\":"
                + Json.quote(p.model().name()) + ",\"max_model_len\":" + p.model().maxModelLen() + "}]}";
    }

    private void generate(ChannelHandlerContext ctx, Route route, FullHttpRequest req) {
        String clientId = req.headers().get("x-request-id");
        ParsedRequest parsed;
        try {
            parsed = parser.parse(route, ByteBufUtil.getBytes(req.content()));
        } catch (RequestParser.Invalid e) {
            Responses.error(ctx.channel(), route, e.error, 0, clientId);
            return;
        }
        if (current != null) {
            Responses.error(ctx.channel(), route, ApiError.invalid("A generation is already in flight on this "
                    + "connection (no HTTP pipelining).", null, null), 0, clientId);
            return;
        }
        Profile profile = server.profile();
        FaultSpec faults = profile.faults();
        String header = req.headers().get(FaultSpec.HEADER);
        if (header != null) {
            try {
                faults = faults.withHeader(header);
            } catch (IllegalArgumentException e) {
                Responses.error(ctx.channel(), route, ApiError.invalid("Invalid " + FaultSpec.HEADER + " header: "
                        + e.getMessage(), FaultSpec.HEADER, "invalid_fault"), 0, clientId);
                return;
            }
        }
        if (faults.errorStatus() != 0 && faults.errorFor(random.nextDouble())) {
            int status = faults.errorStatus();
            Responses.error(ctx.channel(), route, new ApiError(status, "Injected fault: status " + status + ".",
                    status == 429 ? "rate_limit_error" : "server_error", null, "injected_fault"),
                    faults.retryAfterSeconds(), clientId);
            return;
        }
        int maxLen = profile.model().maxModelLen();
        int maxTokens = parsed.maxTokens() > 0 ? parsed.maxTokens() : maxLen - parsed.promptTokens();
        if (parsed.promptTokens() + maxTokens > maxLen) {
            Responses.error(ctx.channel(), route, ApiError.invalid("This model's maximum context length is " + maxLen
                    + " tokens. However, you requested " + (parsed.promptTokens() + maxTokens) + " tokens ("
                    + parsed.promptTokens() + " in the messages, " + maxTokens + " in the completion). Please reduce the "
                    + "length of the messages or completion.", route == Route.COMPLETIONS ? "prompt" : "messages",
                    "context_length_exceeded"), 0, clientId);
            return;
        }
        long n = server.nextId();
        String hex = Long.toHexString(server.startEpochSeconds()) + String.format("%08x", n);
        StreamFormat format = switch (route) {
            case CHAT -> new OpenAiFormat(true, "chatcmpl-" + hex, parsed.model(), System.currentTimeMillis() / 1000,
                    parsed.includeUsage());
            case COMPLETIONS -> new OpenAiFormat(false, "cmpl-" + hex, parsed.model(), System.currentTimeMillis() / 1000,
                    parsed.includeUsage());
            case MESSAGES -> new AnthropicFormat("msg_" + hex, parsed.model(), parsed.promptTokens());
        };
        String requestId = clientId != null && clientId.length() <= 128 && clientId.matches("[A-Za-z0-9._:-]+")
                ? clientId : format.id();
        GroundTruth.Timeline timeline = server.groundTruth().start(requestId, format.id());
        current = new Generation(ctx.channel(), server.engine(), parsed, format, faults, timeline, requestId,
                maxTokens, random.nextLong(), server.engine().timeScale(), () -> current = null);
        current.start();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && current != null) {
            current.flush();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (current != null) {
            current.channelClosed();
            current = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("closing {} after {}", ctx.channel(), cause.toString());
        ctx.close();
    }
}
