package io.tokentap.core.stream.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.StreamEventSink;
import io.tokentap.core.stream.Usage;
import java.io.IOException;

/**
 * Ollama's native streaming objects: {@code /api/generate} ({@code response}, {@code thinking}) and
 * {@code /api/chat} ({@code message.content}, {@code message.thinking}, {@code message.tool_calls}). The last
 * object has {@code done:true} with {@code prompt_eval_count} (input tokens) and {@code eval_count} (output
 * tokens). Ollama streams one token per object, so a content event counts 1 token. {@code {"error": "..."}}
 * reports an error.
 */
final class OllamaChunkHandler implements LineHandler {

    private final StreamEventSink sink;
    private final boolean wantText;
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder thinking = new StringBuilder();
    private final ErrorFields error = new ErrorFields();

    private boolean hasText;
    private boolean hasThinking;
    private boolean hasToolCall;
    private boolean done;
    private long promptEval;
    private long eval;

    OllamaChunkHandler(StreamEventSink sink) {
        this.sink = sink;
        this.wantText = sink.wantsText();
    }

    @Override
    public boolean onLine(byte[] line, int len, long nanos) {
        hasText = false;
        hasThinking = false;
        hasToolCall = false;
        done = false;
        promptEval = Usage.UNKNOWN;
        eval = Usage.UNKNOWN;
        error.reset();
        if (wantText) {
            text.setLength(0);
            thinking.setLength(0);
        }
        try (JsonParser p = Json.parser(line, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            readObject(p, true);
        } catch (IOException | RuntimeException e) {
            return false;
        }
        emit(nanos);
        return true;
    }

    private void readObject(JsonParser p, boolean top) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "response", "content" -> {
                    if (Json.nonEmptyString(p)) {
                        hasText = true;
                        if (wantText) {
                            Json.appendText(p, text);
                        }
                    } else {
                        p.skipChildren();
                    }
                }
                case "thinking" -> {
                    if (Json.nonEmptyString(p)) {
                        hasThinking = true;
                        if (wantText) {
                            Json.appendText(p, thinking);
                        }
                    } else {
                        p.skipChildren();
                    }
                }
                case "tool_calls" -> hasToolCall |= Json.countElements(p) > 0;
                case "message" -> {
                    if (top && t == JsonToken.START_OBJECT) {
                        readObject(p, false);
                    } else {
                        p.skipChildren();
                    }
                }
                case "done" -> done |= top && t == JsonToken.VALUE_TRUE;
                case "prompt_eval_count" -> promptEval = top ? Json.count(p) : promptEval;
                case "eval_count" -> eval = top ? Json.count(p) : eval;
                case "error" -> error.read(p);
                default -> p.skipChildren();
            }
        }
    }

    private void emit(long nanos) {
        boolean primary = false;
        if (hasThinking) {
            sink.content(nanos, ContentKind.REASONING, 1, wantText ? thinking.toString() : null);
            primary = true;
        }
        if (hasText) {
            sink.content(nanos, ContentKind.TEXT, 1, wantText ? text.toString() : null);
            primary = true;
        }
        if (hasToolCall) {
            sink.content(nanos, ContentKind.TOOL_CALL, 1, wantText ? "" : null);
            primary = true;
        }
        if (!primary && !done && !error.present) {
            sink.empty(nanos);
        }
        if (promptEval != Usage.UNKNOWN || eval != Usage.UNKNOWN) {
            sink.usage(nanos, new Usage(promptEval, eval, Usage.UNKNOWN, Usage.UNKNOWN));
        }
        if (error.present) {
            sink.error(nanos, error.typeOr("error"), error.messageOrEmpty());
        }
        if (done) {
            sink.done(nanos);
        }
    }
}
