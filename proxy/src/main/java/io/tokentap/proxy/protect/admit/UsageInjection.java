package io.tokentap.proxy.protect.admit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.io.IOException;

/**
 * Adds {@code stream_options.include_usage} to a streamed OpenAI chat or completions request that does not ask for
 * it, so the server reports its exact token counts at the end of the stream. The relay then takes the usage-only
 * chunk it added out of the client's stream ({@code UsageChunkFilter}), so the client sees the stream it asked for.
 *
 * <p>Only a body that parses as a JSON object with {@code "stream": true} is touched; anything else (invalid JSON
 * included) goes upstream as it came.
 */
final class UsageInjection {

    private static final ObjectMapper JSON = new ObjectMapper();

    private UsageInjection() {
    }

    /** Whether this request is one the injection applies to, judged by its head alone. */
    static boolean candidate(HttpRequest head) {
        if (!HttpMethod.POST.equals(head.method())) {
            return false;
        }
        String uri = head.uri();
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        return path.endsWith("/chat/completions") || path.endsWith("/completions");
    }

    /**
     * The body with {@code include_usage} added, or null when it needs none (not streamed, already asking for usage,
     * not a JSON object). The caller keeps ownership of {@code body}.
     */
    static ByteBuf inject(ByteBuf body) {
        JsonNode root;
        try {
            root = JSON.readTree((java.io.InputStream) new ByteBufInputStream(body.duplicate()));
        } catch (IOException | RuntimeException e) {
            return null; // the upstream decides what to make of it
        }
        if (!(root instanceof ObjectNode obj) || !obj.path("stream").asBoolean(false)) {
            return null;
        }
        JsonNode options = obj.get("stream_options");
        if (options != null && !options.isNull() && !options.isObject()) {
            return null; // a malformed stream_options: the upstream answers it
        }
        if (options != null && options.path("include_usage").asBoolean(false)) {
            return null;
        }
        ObjectNode o = options instanceof ObjectNode on ? on : obj.putObject("stream_options");
        o.put("include_usage", true);
        try {
            return Unpooled.wrappedBuffer(JSON.writeValueAsBytes(obj));
        } catch (IOException e) {
            return null;
        }
    }

    /** Sets the head's framing for the new body. */
    static void reframe(HttpRequest head, int length) {
        if (head.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
            head.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, length);
        }
    }
}
