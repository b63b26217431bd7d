package io.tokentap.core.stream.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.StreamEventSink;
import io.tokentap.core.stream.Usage;
import java.io.IOException;

/**
 * OpenAI Responses API events. Content: {@code response.output_text.delta} and {@code response.refusal.delta}
 * (text), {@code response.reasoning_text.delta} and {@code response.reasoning_summary_text.delta} (reasoning),
 * {@code response.function_call_arguments.delta}, {@code response.custom_tool_call_input.delta} and
 * {@code response.mcp_call_arguments.delta} (tool call). End: {@code response.completed} and
 * {@code response.incomplete}, whose {@code response.usage} carries the counts. Errors: {@code error} and
 * {@code response.failed}. Every other event ({@code response.created}, {@code *.added}, {@code *.done}, ...)
 * carries no content.
 *
 * <p>The event type is the data's {@code "type"} field, else the {@code event:} line. The type may come after
 * the payload in the JSON, so the payload is collected first and interpreted at the end of the object.
 */
final class ResponsesEventHandler implements SseEventHandler {

    private static final EventTypes TYPES = new EventTypes(
            "response.output_text.delta", "response.refusal.delta",
            "response.reasoning_text.delta", "response.reasoning_summary_text.delta",
            "response.function_call_arguments.delta", "response.custom_tool_call_input.delta",
            "response.mcp_call_arguments.delta",
            "response.completed", "response.incomplete", "response.failed", "error");
    private static final ContentKind[] KIND = {
        ContentKind.TEXT, ContentKind.TEXT, ContentKind.REASONING, ContentKind.REASONING,
        ContentKind.TOOL_CALL, ContentKind.TOOL_CALL, ContentKind.TOOL_CALL};
    private static final int COMPLETED = 7;
    private static final int INCOMPLETE = 8;
    private static final int FAILED = 9;
    private static final int ERROR = 10;

    private final StreamEventSink sink;
    private final boolean wantText;
    private final StringBuilder delta = new StringBuilder();
    private final ErrorFields error = new ErrorFields();
    // The error event's own fields: {"type":"error","code":..,"message":..}.
    private final ErrorFields topLevel = new ErrorFields();

    private int type;
    private boolean hasDelta;
    private int tokens;
    private Usage usage;

    ResponsesEventHandler(StreamEventSink sink) {
        this.sink = sink;
        this.wantText = sink.wantsText();
    }

    @Override
    public EventTypes eventTypes() {
        return TYPES;
    }

    @Override
    public boolean onEvent(int eventType, byte[] data, int len, long nanos) {
        type = EventTypes.NONE;
        hasDelta = false;
        tokens = 0;
        usage = null;
        error.reset();
        topLevel.reset();
        if (wantText) {
            delta.setLength(0);
        }
        if (Json.isBlank(data, len)) {
            type = eventType;
            emit(nanos);
            return true;
        }
        try (JsonParser p = Json.parser(data, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return nonJson(eventType, data, len, nanos);
            }
            readEvent(p);
        } catch (IOException | RuntimeException e) {
            return nonJson(eventType, data, len, nanos);
        }
        if (type == EventTypes.NONE) {
            type = eventType;
        }
        emit(nanos);
        return true;
    }

    private boolean nonJson(int eventType, byte[] data, int len, long nanos) {
        if (eventType == ERROR) {
            sink.error(nanos, "error", Text.utf8(data, len, Json.MAX_ERROR_MESSAGE));
            return true;
        }
        return false;
    }

    private void readEvent(JsonParser p) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "type" -> {
                    if (t == JsonToken.VALUE_STRING) {
                        type = TYPES.match(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
                    }
                }
                case "delta" -> {
                    if (Json.nonEmptyString(p)) {
                        hasDelta = true;
                        if (wantText) {
                            Json.appendText(p, delta);
                        }
                    } else {
                        p.skipChildren();
                    }
                }
                case "logprobs" -> tokens = Json.countElements(p);
                case "response" -> readResponse(p, t);
                case "error" -> error.read(p);
                case "code" -> {
                    topLevel.present = true;
                    topLevel.type = Json.scalar(p);
                }
                case "message" -> {
                    topLevel.present = true;
                    topLevel.message = Json.scalar(p);
                }
                default -> p.skipChildren();
            }
        }
    }

    private void readResponse(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.START_OBJECT) {
            p.skipChildren();
            return;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (name.equals("usage") && v == JsonToken.START_OBJECT) {
                usage = Json.readUsage(p);
            } else if (name.equals("error")) {
                error.read(p);
            } else {
                p.skipChildren();
            }
        }
    }

    private void emit(long nanos) {
        boolean content = type >= 0 && type < KIND.length && hasDelta;
        boolean isError = type == ERROR || type == FAILED;
        boolean isDone = type == COMPLETED || type == INCOMPLETE;
        if (content) {
            sink.content(nanos, KIND[type], tokens, wantText ? delta.toString() : null);
        } else if (!isError && !isDone) {
            sink.empty(nanos);
        }
        if (usage != null) {
            sink.usage(nanos, usage);
        }
        if (isError) {
            ErrorFields e = error.present ? error : topLevel;
            sink.error(nanos, e.typeOr(type == FAILED ? "response.failed" : "error"), e.messageOrEmpty());
        }
        if (isDone) {
            sink.done(nanos);
        }
    }
}
