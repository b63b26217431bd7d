package io.tokentap.core.stream;

import io.tokentap.core.stream.internal.Decoders;
import java.util.Locale;

/**
 * The wire formats tokentap decodes, each with its incremental {@link StreamDecoder}. The format of a response is
 * {@link #detect detected} from the request path and the response's content type.
 *
 * <pre>{@code
 * WireFormat f = WireFormat.detect("/v1/chat/completions", "text/event-stream; charset=utf-8");
 * StreamDecoder d = f.newDecoder(timeline);
 * }</pre>
 */
public enum WireFormat {
    /** OpenAI {@code /v1/chat/completions} SSE, as served by OpenAI, vLLM, SGLang, TGI, llama.cpp, Ollama's /v1. */
    OPENAI_CHAT_SSE,
    /** OpenAI legacy {@code /v1/completions} SSE. */
    OPENAI_COMPLETIONS_SSE,
    /** OpenAI Responses API ({@code /v1/responses}) named SSE events. */
    OPENAI_RESPONSES_SSE,
    /** Anthropic Messages API ({@code /v1/messages}) SSE. */
    ANTHROPIC_SSE,
    /** TGI native {@code /generate_stream} SSE ({@code data:} without a space). */
    TGI_SSE,
    /** Ollama's native {@code /api/generate} and {@code /api/chat} newline-delimited JSON. */
    OLLAMA_NDJSON,
    /** A non-streaming JSON response with {@code usage}: buffered (bounded) and read at the end. */
    JSON_USAGE,
    /** Anything else: the decoder reports nothing, the caller keeps byte-level timing only. */
    UNKNOWN;

    /** The default longest SSE or NDJSON line decoded; a longer line is skipped and counted as malformed. */
    public static final int DEFAULT_MAX_LINE_BYTES = 1 << 20;

    /** The default largest non-streaming JSON body decoded ({@link #JSON_USAGE}). */
    public static final int DEFAULT_MAX_BODY_BYTES = 4 << 20;

    /** A new decoder for one response body, with the default size limits. */
    public StreamDecoder newDecoder(StreamEventSink sink) {
        return newDecoder(sink, this == JSON_USAGE ? DEFAULT_MAX_BODY_BYTES : DEFAULT_MAX_LINE_BYTES);
    }

    /**
     * A new decoder for one response body.
     *
     * @param maxBytes the longest line (SSE, NDJSON) or, for {@link #JSON_USAGE}, the largest body that is decoded;
     *                 what is longer is skipped and counted in {@link StreamDecoder#malformedCount()}, so memory per
     *                 stream stays bounded
     */
    public StreamDecoder newDecoder(StreamEventSink sink, int maxBytes) {
        if (sink == null) {
            throw new IllegalArgumentException("sink: null (expected: a StreamEventSink)");
        }
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: > 0)");
        }
        return switch (this) {
            case OPENAI_CHAT_SSE, OPENAI_COMPLETIONS_SSE -> Decoders.openAiSse(sink, maxBytes);
            case OPENAI_RESPONSES_SSE -> Decoders.responsesSse(sink, maxBytes);
            case ANTHROPIC_SSE -> Decoders.anthropicSse(sink, maxBytes);
            case TGI_SSE -> Decoders.tgiSse(sink, maxBytes);
            case OLLAMA_NDJSON -> Decoders.ollamaNdjson(sink, maxBytes);
            case JSON_USAGE -> Decoders.jsonBody(sink, maxBytes);
            case UNKNOWN -> Decoders.none();
        };
    }

    /**
     * The format of a response.
     *
     * <ul>
     *   <li>{@code text/event-stream}: by the path's ending, {@code /chat/completions} → {@link #OPENAI_CHAT_SSE},
     *       {@code /completions} → {@link #OPENAI_COMPLETIONS_SSE}, {@code /responses} →
     *       {@link #OPENAI_RESPONSES_SSE}, {@code /messages} → {@link #ANTHROPIC_SSE}, {@code /generate_stream} →
     *       {@link #TGI_SSE}; another path → {@link #UNKNOWN}.</li>
     *   <li>{@code application/x-ndjson}, or the path {@code /api/generate} or {@code /api/chat} →
     *       {@link #OLLAMA_NDJSON}.</li>
     *   <li>{@code application/json} (or a {@code +json} type) → {@link #JSON_USAGE}.</li>
     *   <li>otherwise {@link #UNKNOWN}.</li>
     * </ul>
     *
     * @param requestPath         the request target; a query string or fragment is ignored; may be null
     * @param responseContentType the response's Content-Type; parameters are ignored; may be null
     */
    public static WireFormat detect(String requestPath, String responseContentType) {
        String path = normalizePath(requestPath);
        String type = mediaType(responseContentType);
        if (type.equals("text/event-stream")) {
            if (path.endsWith("/chat/completions")) {
                return OPENAI_CHAT_SSE;
            }
            if (path.endsWith("/completions")) {
                return OPENAI_COMPLETIONS_SSE;
            }
            if (path.endsWith("/responses")) {
                return OPENAI_RESPONSES_SSE;
            }
            if (path.endsWith("/messages")) {
                return ANTHROPIC_SSE;
            }
            if (path.endsWith("/generate_stream")) {
                return TGI_SSE;
            }
            return UNKNOWN;
        }
        if (type.equals("application/x-ndjson") || path.endsWith("/api/generate") || path.endsWith("/api/chat")) {
            return OLLAMA_NDJSON;
        }
        if (type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"))) {
            return JSON_USAGE;
        }
        return UNKNOWN;
    }

    private static String normalizePath(String path) {
        if (path == null) {
            return "";
        }
        int end = path.length();
        int q = path.indexOf('?');
        if (q >= 0) {
            end = q;
        }
        int h = path.indexOf('#');
        if (h >= 0 && h < end) {
            end = h;
        }
        // A trailing slash does not change the route (vLLM and most routers accept both).
        while (end > 1 && path.charAt(end - 1) == '/') {
            end--;
        }
        return path.substring(0, end).toLowerCase(Locale.ROOT);
    }

    private static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semi = contentType.indexOf(';');
        String t = semi >= 0 ? contentType.substring(0, semi) : contentType;
        return t.strip().toLowerCase(Locale.ROOT);
    }
}
