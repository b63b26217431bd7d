package io.tokentap.core.capture;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One captured request, one JSON line of a capture file. The format is specified in {@code docs/capture-format.md};
 * this record is its reference reader and writer. Unknown fields are ignored so that a newer minor addition does not
 * break older readers; a larger {@link #v} than {@link #VERSION} is refused.
 *
 * @param v          the format version
 * @param arrivalUs  when the request's first byte arrived, microseconds since the Unix epoch
 * @param route      the request path, e.g. {@code /v1/chat/completions}
 * @param model      the requested model (as sent by the client)
 * @param tenant     a hash of the tenant key, {@code sha256:} and 16 hex digits, or {@code null}
 * @param redaction  {@code full}, {@code shape} or {@code none}
 * @param request    the whole request body ({@code full} only)
 * @param shape      the body's structure without text ({@code shape} only)
 * @param timeline   what the proxy measured
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record CaptureRecord(
        @JsonProperty("v") int v,
        @JsonProperty("arrival_us") long arrivalUs,
        @JsonProperty("route") String route,
        @JsonProperty("model") String model,
        @JsonProperty("tenant") String tenant,
        @JsonProperty("redaction") String redaction,
        @JsonProperty("request") JsonNode request,
        @JsonProperty("shape") Shape shape,
        @JsonProperty("timeline") Timeline timeline) {

    /** The version this code writes and the highest it reads. */
    public static final int VERSION = 1;

    public CaptureRecord {
        if (v < 1 || v > VERSION) {
            throw new IllegalArgumentException("v: " + v + " (expected: 1.." + VERSION + ")");
        }
        if (arrivalUs <= 0) {
            throw new IllegalArgumentException("arrival_us: " + arrivalUs + " (expected: > 0)");
        }
        if (route == null || route.isEmpty()) {
            throw new IllegalArgumentException("route: missing");
        }
        if (redaction == null) {
            throw new IllegalArgumentException("redaction: missing (expected: full, shape or none)");
        }
        switch (redaction) {
            case "full" -> {
                if (request == null || !request.isObject()) {
                    throw new IllegalArgumentException("request: missing (expected: the body, as redaction is full)");
                }
            }
            case "shape" -> {
                if (shape == null) {
                    throw new IllegalArgumentException("shape: missing (expected, as redaction is shape)");
                }
            }
            case "none" -> { }
            default -> throw new IllegalArgumentException("redaction: '" + redaction + "' (expected: full, shape or none)");
        }
    }

    /**
     * The request's structure: each message's role and token length, the prompt's fixed-size token blocks as chained
     * hashes (equal prefixes give equal leading ids), and the generation parameters that shape the load.
     *
     * @param tokenizer  the tokenizer that counted, e.g. {@code cl100k_base}
     * @param blockSize  tokens per hashed block (the last block may be shorter)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Shape(
            @JsonProperty("messages") List<MessageShape> messages,
            @JsonProperty("prompt_tokens") Integer promptTokens,
            @JsonProperty("max_tokens") Integer maxTokens,
            @JsonProperty("stream") Boolean stream,
            @JsonProperty("tokenizer") String tokenizer,
            @JsonProperty("block_size") Integer blockSize,
            @JsonProperty("hash_ids") List<Long> hashIds) {

        /** The prompt length: {@code prompt_tokens} when given, else the sum of the messages. */
        public int totalPromptTokens() {
            if (promptTokens != null) {
                return promptTokens;
            }
            return messages == null ? 0 : messages.stream().mapToInt(MessageShape::tokens).sum();
        }
    }

    /** One message without its text. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record MessageShape(@JsonProperty("role") String role, @JsonProperty("tokens") int tokens) {
        public MessageShape {
            if (tokens < 0) {
                throw new IllegalArgumentException("tokens: " + tokens + " (expected: >= 0)");
            }
        }
    }

    /**
     * The measured timeline summary, in milliseconds; a figure that was not defined is absent.
     *
     * @param outcome the {@code Outcome} label, e.g. {@code ok}, {@code upstream_429}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Timeline(
            @JsonProperty("status") Integer status,
            @JsonProperty("outcome") String outcome,
            @JsonProperty("ttft_ms") Double ttftMs,
            @JsonProperty("e2e_ms") Double e2eMs,
            @JsonProperty("tpot_ms") Double tpotMs,
            @JsonProperty("itl_mean_ms") Double itlMeanMs,
            @JsonProperty("itl_max_ms") Double itlMaxMs,
            @JsonProperty("input_tokens") Long inputTokens,
            @JsonProperty("output_tokens") Long outputTokens,
            @JsonProperty("cached_tokens") Long cachedTokens) {
    }
}
