package io.tokentap.loadgen.workload;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Builds OpenAI chat/completions request bodies. */
public final class ChatBodies {

    public static final String CHAT_ROUTE = "/v1/chat/completions";
    public static final String DEFAULT_MODEL = "default";

    private final ObjectMapper mapper;

    public ChatBodies(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    /** {@code {"model":…, "messages":[], "max_tokens":…}}; add messages with {@link #addMessage}. */
    public ObjectNode chat(String model, int maxTokens) {
        ObjectNode b = mapper.createObjectNode();
        b.put("model", model == null ? DEFAULT_MODEL : model);
        b.putArray("messages");
        if (maxTokens >= 0) {
            b.put("max_tokens", maxTokens);
        }
        return b;
    }

    public static void addMessage(ObjectNode body, String role, String content) {
        ArrayNode msgs = (ArrayNode) body.get("messages");
        msgs.addObject().put("role", role).put("content", content);
    }
}
