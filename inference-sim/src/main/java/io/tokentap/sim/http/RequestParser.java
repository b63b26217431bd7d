package io.tokentap.sim.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Parses and validates a request body the way the OpenAI and Anthropic APIs do, turning every problem into an
 * {@link ApiError} that names the parameter.
 */
final class RequestParser {
    /** Thrown with the error to answer. */
    static final class Invalid extends Exception {
        final ApiError error;

        Invalid(ApiError error) {
            super(error.message(), null, false, false);
            this.error = error;
        }
    }

    private final ObjectMapper mapper;

    RequestParser(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    ParsedRequest parse(Route route, byte[] body) throws Invalid {
        JsonNode root;
        try {
            root = mapper.readTree(body);
        } catch (JacksonException e) {
            throw new Invalid(ApiError.invalid("We could not parse the JSON body of your request. (HINT: This likely "
                    + "means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
                    null, "invalid_json"));
        } catch (java.io.IOException e) {
            throw new Invalid(ApiError.invalid("Could not read the request body.", null, null));
        }
        if (root == null || !root.isObject()) {
            throw new Invalid(ApiError.invalid("The request body must be a JSON object.", null, "invalid_type"));
        }
        String model = root.path("model").isTextual() ? root.get("model").asText() : null;
        if (model == null) {
            throw missing("model");
        }
        boolean stream = bool(root, "stream");
        JsonNode so = root.get("stream_options");
        boolean includeUsage = so != null && so.isObject() && so.path("include_usage").asBoolean(false);
        if (so != null && !so.isNull() && !stream) {
            throw new Invalid(ApiError.invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                    "stream_options", "invalid_value"));
        }
        int maxTokens = maxTokens(root, "max_tokens");
        if (route == Route.CHAT) {
            int mct = maxTokens(root, "max_completion_tokens");
            if (mct > 0) {
                maxTokens = mct;
            }
        }
        JsonNode n = root.get("n");
        if (n != null && !n.isNull() && (!n.canConvertToInt() || n.asInt() != 1)) {
            throw new Invalid(ApiError.invalid("The simulator generates one choice: 'n' must be 1.", "n", "unsupported_value"));
        }
        boolean ignoreEos = bool(root, "ignore_eos");
        int prompt = switch (route) {
            case CHAT -> messagesTokens(root.get("messages"), null);
            case MESSAGES -> {
                if (maxTokens == 0) {
                    throw missing("max_tokens");
                }
                yield messagesTokens(root.get("messages"), root.get("system"));
            }
            case COMPLETIONS -> promptTokens(root.get("prompt"));
        };
        return new ParsedRequest(route, model, stream, includeUsage, maxTokens, ignoreEos, Math.max(1, prompt));
    }

    private static Invalid missing(String param) {
        return new Invalid(ApiError.invalid("Missing required parameter: '" + param + "'.", param,
                "missing_required_parameter"));
    }

    private static boolean bool(JsonNode root, String field) throws Invalid {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new Invalid(ApiError.invalid("Invalid type for '" + field + "': expected a boolean, but got "
                    + v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT) + " instead.", field, "invalid_type"));
        }
        return v.asBoolean();
    }

    private static int maxTokens(JsonNode root, String field) throws Invalid {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return 0;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new Invalid(ApiError.invalid("Invalid type for '" + field + "': expected an integer, but got "
                    + v.toString() + " instead.", field, "invalid_type"));
        }
        if (v.asInt() < 1) {
            throw new Invalid(ApiError.invalid("Invalid '" + field + "': integer below minimum value. Expected a value "
                    + ">= 1, but got " + v.asInt() + " instead.", field, "integer_below_min_value"));
        }
        return v.asInt();
    }

    private static int messagesTokens(JsonNode messages, JsonNode system) throws Invalid {
        if (messages == null || messages.isNull()) {
            throw missing("messages");
        }
        if (!messages.isArray()) {
            throw new Invalid(ApiError.invalid("Invalid type for 'messages': expected an array of objects, but got "
                    + messages.getNodeType().toString().toLowerCase(java.util.Locale.ROOT) + " instead.", "messages",
                    "invalid_type"));
        }
        if (messages.isEmpty()) {
            throw new Invalid(ApiError.invalid("Invalid 'messages': empty array. Expected an array with minimum length 1, "
                    + "but got an empty array instead.", "messages", "empty_array"));
        }
        // OpenAI's chat framing: 3 tokens per message and 3 to prime the reply.
        int tokens = 3;
        if (system != null && !system.isNull()) {
            tokens += 3 + contentTokens(system, "system");
        }
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String param = "messages[" + i + "]";
            if (!m.isObject()) {
                throw new Invalid(ApiError.invalid("Invalid type for '" + param + "': expected an object.", param, "invalid_type"));
            }
            if (!m.path("role").isTextual()) {
                throw new Invalid(ApiError.invalid("Missing required parameter: '" + param + ".role'.", param + ".role",
                        "missing_required_parameter"));
            }
            tokens += 3 + contentTokens(m.get("content"), param + ".content");
        }
        return tokens;
    }

    private static int contentTokens(JsonNode content, String param) throws Invalid {
        if (content == null || content.isNull()) {
            return 0;
        }
        if (content.isTextual()) {
            return TextSource.approxTokens(content.asText());
        }
        if (content.isArray()) {
            int t = 0;
            for (JsonNode part : content) {
                if (part.path("text").isTextual()) {
                    t += TextSource.approxTokens(part.get("text").asText());
                } else if (part.isObject()) {
                    t += 85; // an image or other non-text part: a flat allowance
                }
            }
            return t;
        }
        throw new Invalid(ApiError.invalid("Invalid type for '" + param + "': expected a string or an array of content "
                + "parts.", param, "invalid_type"));
    }

    private static int promptTokens(JsonNode prompt) throws Invalid {
        if (prompt == null || prompt.isNull()) {
            throw missing("prompt");
        }
        if (prompt.isTextual()) {
            return TextSource.approxTokens(prompt.asText());
        }
        if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
            return TextSource.approxTokens(prompt.get(0).asText());
        }
        if (prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isInt()) {
            return prompt.size(); // token ids
        }
        throw new Invalid(ApiError.invalid("Invalid 'prompt': expected a string, a one-string array or an array of "
                + "token ids.", "prompt", "invalid_type"));
    }
}
