package io.tokentap.core.stream.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The type and message of an error found in a stream, reused from event to event. Reads the shapes in use:
 * {@code "error": "text"} (TGI, Ollama), {@code "error": {"type"|"code": ..., "message": ...}} (OpenAI, vLLM,
 * Anthropic) and {@code {"type":"error","code":...,"message":...}} (the Responses API's error event).
 */
final class ErrorFields {

    boolean present;
    String type;
    String message;

    void reset() {
        present = false;
        type = null;
        message = null;
    }

    /** The parser is on the value of an {@code error} field; a JSON null is not an error. */
    void read(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
            return;
        }
        present = true;
        if (t != JsonToken.START_OBJECT) {
            message = Json.scalar(p);
            return;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            switch (name) {
                case "type" -> type = firstNonNull(type, Json.scalar(p));
                case "code" -> {
                    String code = Json.scalar(p);
                    // OpenAI's error type is the class ("invalid_request_error"); prefer it, use code when absent.
                    if (type == null) {
                        type = code;
                    }
                }
                case "message" -> message = Json.scalar(p);
                default -> p.skipChildren();
            }
        }
    }

    String typeOr(String fallback) {
        return type != null ? type : fallback;
    }

    String messageOrEmpty() {
        return message != null ? message : "";
    }

    private static String firstNonNull(String a, String b) {
        return a != null ? a : b;
    }
}
