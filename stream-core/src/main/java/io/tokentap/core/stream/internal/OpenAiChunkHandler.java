package io.tokentap.core.stream.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.StreamEventSink;
import io.tokentap.core.stream.Usage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The {@code data:} payloads of OpenAI-compatible streams: chat.completions chunks ({@code choices[].delta} with
 * {@code content}, {@code reasoning_content} / {@code reasoning} (vLLM, SGLang), {@code refusal},
 * {@code tool_calls[].function}), legacy completions chunks ({@code choices[].text}), the {@code usage} chunk,
 * {@code [DONE]} and {@code {"error": ...}}. It also reads TGI's native {@code /generate_stream} events
 * ({@code token}, {@code details}, {@code generated_text}), so one handler serves vLLM, SGLang, TGI, llama.cpp,
 * TensorRT-LLM and every other server that speaks this dialect.
 *
 * <p>Each chunk yields at most one content event per kind (reasoning, text, tool call, in that order), then the
 * usage, an error, and the end marker; a chunk with none of content, error or end marker yields
 * {@link StreamEventSink#empty}. The token count of a text event is the number of entries in the chunk's
 * {@code logprobs} when the client asked for them, 1 for a TGI token, else 0 (unknown: vLLM's speculative-decoding
 * chunks carry several tokens and do not say so).
 */
final class OpenAiChunkHandler implements SseEventHandler {

    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);
    private static final EventTypes EVENT_TYPES = new EventTypes("error");
    private static final int EVENT_ERROR = 0;

    private final StreamEventSink sink;
    private final boolean wantText;
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private final StringBuilder toolCall = new StringBuilder();
    private final ErrorFields error = new ErrorFields();

    private boolean hasText;
    private boolean hasReasoning;
    private boolean hasToolCall;
    private int tokens;
    private Usage usage;
    private boolean finalChunk;

    OpenAiChunkHandler(StreamEventSink sink) {
        this.sink = sink;
        this.wantText = sink.wantsText();
    }

    @Override
    public EventTypes eventTypes() {
        return EVENT_TYPES;
    }

    @Override
    public boolean onEvent(int eventType, byte[] data, int len, long nanos) {
        if (Json.isToken(data, len, DONE)) {
            sink.done(nanos);
            return true;
        }
        if (Json.isBlank(data, len)) {
            sink.empty(nanos);
            return true;
        }
        reset();
        try (JsonParser p = Json.parser(data, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return nonJsonError(eventType, data, len, nanos);
            }
            readChunk(p);
        } catch (IOException | RuntimeException e) {
            return nonJsonError(eventType, data, len, nanos);
        }
        emit(eventType, nanos);
        return true;
    }

    private boolean nonJsonError(int eventType, byte[] data, int len, long nanos) {
        if (eventType == EVENT_ERROR) {
            sink.error(nanos, "error", Text.utf8(data, len, Json.MAX_ERROR_MESSAGE));
            return true;
        }
        return false;
    }

    private void reset() {
        hasText = false;
        hasReasoning = false;
        hasToolCall = false;
        tokens = 0;
        usage = null;
        finalChunk = false;
        error.reset();
        if (wantText) {
            text.setLength(0);
            reasoning.setLength(0);
            toolCall.setLength(0);
        }
    }

    private void readChunk(JsonParser p) throws IOException {
        String errorType = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "choices" -> {
                    if (t == JsonToken.START_ARRAY) {
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            readChoice(p);
                        }
                    } else {
                        p.skipChildren();
                    }
                }
                case "usage" -> {
                    if (t == JsonToken.START_OBJECT) {
                        usage = Json.readUsage(p);
                    } else {
                        p.skipChildren();
                    }
                }
                case "error" -> error.read(p);
                case "error_type" -> errorType = Json.scalar(p);
                case "token" -> readTgiToken(p, t);
                case "generated_text" -> finalChunk |= t == JsonToken.VALUE_STRING;
                case "details" -> readTgiDetails(p, t);
                default -> p.skipChildren();
            }
        }
        if (error.present && error.type == null) {
            error.type = errorType;
        }
    }

    private void readChoice(JsonParser p) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "delta" -> {
                    if (t == JsonToken.START_OBJECT) {
                        readDelta(p);
                    } else {
                        p.skipChildren();
                    }
                }
                case "text" -> text(p); // legacy completions
                case "logprobs" -> tokens += readLogprobs(p, t);
                default -> p.skipChildren();
            }
        }
    }

    private void readDelta(JsonParser p) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "content", "refusal" -> text(p);
                case "reasoning_content", "reasoning" -> {
                    if (Json.nonEmptyString(p)) {
                        hasReasoning = true;
                        if (wantText) {
                            Json.appendText(p, reasoning);
                        }
                    }
                }
                case "tool_calls" -> {
                    if (t == JsonToken.START_ARRAY) {
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            readToolCall(p);
                        }
                    } else {
                        p.skipChildren();
                    }
                }
                default -> p.skipChildren();
            }
        }
    }

    private void readToolCall(JsonParser p) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            if (name.equals("function") && t == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    p.nextToken();
                    // The name (first chunk) and the argument fragments are both generated tokens.
                    if ((field.equals("name") || field.equals("arguments")) && Json.nonEmptyString(p)) {
                        hasToolCall = true;
                        if (wantText && field.equals("arguments")) {
                            Json.appendText(p, toolCall);
                        }
                    } else {
                        p.skipChildren();
                    }
                }
            } else {
                p.skipChildren();
            }
        }
    }

    private void text(JsonParser p) throws IOException {
        if (Json.nonEmptyString(p)) {
            hasText = true;
            if (wantText) {
                Json.appendText(p, text);
            }
        } else {
            p.skipChildren();
        }
    }

    /** Chat: {@code logprobs.content[]}, one entry per token; completions: {@code logprobs.tokens[]}. */
    private static int readLogprobs(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.START_OBJECT) {
            p.skipChildren();
            return 0;
        }
        int n = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            if (name.equals("content") || name.equals("tokens")) {
                n = Math.max(n, Json.countElements(p));
            } else {
                p.skipChildren();
            }
        }
        return n;
    }

    /** TGI: {@code "token": {"id":..,"text":"..","logprob":..,"special":false}}, one token per event. */
    private void readTgiToken(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.START_OBJECT) {
            p.skipChildren();
            return;
        }
        boolean special = false;
        int mark = wantText ? text.length() : 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (name.equals("text") && v == JsonToken.VALUE_STRING) {
                if (wantText) {
                    Json.appendText(p, text);
                }
            } else if (name.equals("special")) {
                special = v == JsonToken.VALUE_TRUE;
            } else {
                p.skipChildren();
            }
        }
        if (special && wantText) {
            text.setLength(mark); // e.g. "</s>": a generated token, but not text
        }
        hasText = true;
        tokens += 1;
    }

    /** TGI's last event: {@code "details": {"finish_reason":..,"generated_tokens":n,"input_length":m,..}}. */
    private void readTgiDetails(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.START_OBJECT) {
            p.skipChildren();
            return;
        }
        finalChunk = true;
        long generated = Usage.UNKNOWN;
        long input = Usage.UNKNOWN;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            switch (name) {
                case "generated_tokens" -> generated = Json.count(p);
                case "input_length" -> input = Json.count(p);
                default -> p.skipChildren();
            }
        }
        if (generated != Usage.UNKNOWN || input != Usage.UNKNOWN) {
            usage = new Usage(input, generated, Usage.UNKNOWN, Usage.UNKNOWN);
        }
    }

    private void emit(int eventType, long nanos) {
        boolean primary = false;
        if (hasReasoning) {
            sink.content(nanos, ContentKind.REASONING, 0, wantText ? reasoning.toString() : null);
            primary = true;
        }
        if (hasText) {
            sink.content(nanos, ContentKind.TEXT, tokens, wantText ? text.toString() : null);
            primary = true;
        }
        if (hasToolCall) {
            sink.content(nanos, ContentKind.TOOL_CALL, hasText ? 0 : tokens, wantText ? toolCall.toString() : null);
            primary = true;
        }
        if (!primary && !error.present && !finalChunk && eventType != EVENT_ERROR) {
            sink.empty(nanos);
        }
        if (usage != null) {
            sink.usage(nanos, usage);
        }
        if (error.present) {
            sink.error(nanos, error.typeOr("error"), error.messageOrEmpty());
        } else if (eventType == EVENT_ERROR) {
            sink.error(nanos, "error", "");
        }
        if (finalChunk) {
            sink.done(nanos);
        }
    }
}
