package io.tokentap.loadgen.exec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokentap.loadgen.workload.RequestSpec;
import java.io.UncheckedIOException;

/**
 * Serialises request bodies for sending. Streaming is always asked for; on OpenAI chat and completions routes
 * {@code stream_options.include_usage} too, so the server's token counts arrive in the last chunk. With
 * {@code ignoreEos}, vLLM and SGLang generate exactly {@code max_tokens}, which makes output lengths reproducible.
 */
public final class RequestBodies {

    private final ObjectMapper mapper;
    private final boolean ignoreEos;

    public RequestBodies(ObjectMapper mapper, boolean ignoreEos) {
        this.mapper = mapper;
        this.ignoreEos = ignoreEos;
    }

    public byte[] encode(RequestSpec spec) {
        ObjectNode body = spec.body();
        body.put("stream", true);
        String route = spec.route();
        if (route.endsWith("/chat/completions") || route.endsWith("/completions")) {
            body.putObject("stream_options").put("include_usage", true);
        }
        if (ignoreEos && body.has("max_tokens")) {
            body.put("ignore_eos", true);
        }
        try {
            return mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
