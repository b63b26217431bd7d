package io.tokentap.sim.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An error answer. OpenAI routes get {@code {"error":{"message","type","param","code"}}}; the Anthropic route gets
 * {@code {"type":"error","error":{"type","message"}}}.
 */
record ApiError(int status, String message, String type, String param, String code) {

    static ApiError invalid(String message, String param, String code) {
        return new ApiError(400, message, "invalid_request_error", param, code);
    }

    String openAiJson(ObjectMapper mapper) {
        ObjectNode root = mapper.createObjectNode();
        ObjectNode e = root.putObject("error");
        e.put("message", message);
        e.put("type", type);
        e.put("param", param);
        e.put("code", code);
        return root.toString();
    }

    String anthropicJson(ObjectMapper mapper) {
        ObjectNode root = mapper.createObjectNode();
        root.put("type", "error");
        ObjectNode e = root.putObject("error");
        String t = switch (status) {
            case 400 -> "invalid_request_error";
            case 404 -> "not_found_error";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            default -> "api_error";
        };
        e.put("type", t);
        e.put("message", message);
        return root.toString();
    }
}
