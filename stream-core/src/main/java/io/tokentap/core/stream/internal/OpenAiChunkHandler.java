package io.tokentap.core.stream.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.tokentap.core.stream.StreamEventSink;
import io.tokentap.core.stream.Usage;
import java.io.IOException;

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
 *
 * <p>When the sink does not want text (the proxy, the load generator), {@link OpenAiChunkScanner} reads the usual
 * chunk from its bytes first; what it does not take is parsed here with Jackson.
 */
final class OpenAiChunkHandler implements SseEventHandler {

    private static final EventTypes EVENT_TYPES = new EventTypes("error");
    private static final int EVENT_ERROR = 0;

    private final StreamEventSink sink;
    private final ReusableJsonParser json = new ReusableJsonParser();
    /** The fast path, when the sink does not want text; null otherwise. */
    private final OpenAiChunkScanner scanner;
    private final ChunkContent content;
    private final ErrorFields error = new ErrorFields();

    private Usage usage;
    private boolean finalChunk;

    OpenAiChunkHandler(StreamEventSink sink) {
        this(sink, true);
    }

    /** {@code fastPath} false parses every chunk with Jackson (for the tests that compare both paths). */
    OpenAiChunkHandler(StreamEventSink sink, boolean fastPath) {
        this.sink = sink;
        this.content = new ChunkContent(sink.wantsText());
        this.scanner = fastPath && !sink.wantsText() ? new OpenAiChunkScanner() : null;
    }

    @Override
    public EventTypes eventTypes() {
        return EVENT_TYPES;
    }

    @Override
    public boolean onEvent(int eventType, byte[] data, int len, long nanos) {
        if (Json.isToken(data, len, Json.DONE)) {
            sink.done(nanos);
            return true;
        }
        if (Json.isBlank(data, len)) {
            sink.empty(nanos);
            return true;
        }
        reset();
        if (scanner != null) {
            if (scanner.scan(data, len, content)) {
                emit(eventType, nanos);
                return true;
            }
            reset();
        }
        try {
            JsonParser p = json.begin(data, len);
            if (p.nextToken() != JsonToken.START_OBJECT) {
                json.discard();
                return nonJsonError(eventType, data, len, nanos);
            }
            readChunk(p);
            json.end();
        } catch (IOException | RuntimeException e) {
            json.discard();
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
        content.reset();
        usage = null;
        finalChunk = false;
        error.reset();
    }

    private void readChunk(JsonParser p) throws IOException {
        String errorType = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "choices" -> {
                    if (t == JsonToken.START_ARRAY) {
                        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                            if (t == JsonToken.START_OBJECT) {
                                readChoice(p);
                            } else {
                                p.skipChildren();
                            }
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
                case "text" -> content.text(p); // legacy completions
                case "logprobs" -> content.tokens += readLogprobs(p, t);
                default -> p.skipChildren();
            }
        }
    }

    private void readDelta(JsonParser p) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "content" -> {
                    if (t == JsonToken.START_ARRAY) {
                        content.contentParts(p);
                    } else {
                        content.text(p);
                    }
                }
                case "refusal" -> content.text(p);
                case "reasoning_content", "reasoning" -> content.reasoning(p);
                case "tool_calls" -> {
                    if (t == JsonToken.START_ARRAY) {
                        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                            if (t == JsonToken.START_OBJECT) {
                                readToolCall(p);
                            } else {
                                p.skipChildren();
                            }
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
                    if (field.equals("name") || field.equals("arguments")) {
                        content.toolCall(p, field.equals("arguments"));
                    } else {
                        p.skipChildren();
                    }
                }
            } else {
                p.skipChildren();
            }
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

    private void readTgiToken(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.START_OBJECT) {
            p.skipChildren();
            return;
        }
        TgiEvents.readToken(p, content.textBuffer());
        content.tgiToken();
    }

    private void readTgiDetails(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.START_OBJECT) {
            p.skipChildren();
            return;
        }
        finalChunk = true;
        Usage u = TgiEvents.readDetails(p);
        if (u != null) {
            usage = u;
        }
    }

    private void emit(int eventType, long nanos) {
        boolean primary = content.emit(sink, nanos);
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

    @Override
    public void close() {
        json.discard();
    }
}
