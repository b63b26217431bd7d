package io.tokentap.core.stream.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.StreamEventSink;
import io.tokentap.core.stream.Usage;
import java.io.IOException;

/**
 * Anthropic Messages API events: {@code message_start} (initial usage), {@code content_block_start},
 * {@code content_block_delta} ({@code text_delta}, {@code thinking_delta}, {@code input_json_delta}; a
 * {@code signature_delta} carries no generated text), {@code content_block_stop}, {@code message_delta}
 * (cumulative usage), {@code message_stop} (the end), {@code ping} and {@code error}.
 *
 * <p>The event type is taken from the data's {@code "type"} field, else from the {@code event:} line.
 */
final class AnthropicEventHandler implements SseEventHandler {

    private static final EventTypes TYPES = new EventTypes(
            "message_start", "content_block_start", "content_block_delta", "content_block_stop",
            "message_delta", "message_stop", "ping", "error");
    private static final int MESSAGE_STOP = 5;
    private static final int CONTENT_BLOCK_DELTA = 2;
    private static final int ERROR = 7;

    private final StreamEventSink sink;
    private final boolean wantText;
    private final StringBuilder text = new StringBuilder();
    private final ErrorFields error = new ErrorFields();

    private int type;
    private ContentKind kind;
    private Usage usage;

    AnthropicEventHandler(StreamEventSink sink) {
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
        kind = null;
        usage = null;
        error.reset();
        if (wantText) {
            text.setLength(0);
        }
        if (Json.isBlank(data, len)) {
            return emitBare(eventType, nanos);
        }
        try (JsonParser p = Json.parser(data, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return nonJson(eventType, data, len, nanos);
            }
            readEvent(p);
        } catch (IOException | RuntimeException e) {
            return nonJson(eventType, data, len, nanos);
        }
        if (type == EventTypes.NONE || type == EventTypes.OTHER) {
            type = eventType;
        }
        emit(nanos);
        return true;
    }

    private boolean emitBare(int eventType, long nanos) {
        type = eventType;
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
                case "message" -> readMessage(p, t);
                case "usage" -> {
                    if (t == JsonToken.START_OBJECT) {
                        usage = Json.readUsage(p);
                    } else {
                        p.skipChildren();
                    }
                }
                case "delta" -> readDelta(p, t);
                case "error" -> error.read(p);
                default -> p.skipChildren();
            }
        }
    }

    private void readMessage(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.START_OBJECT) {
            p.skipChildren();
            return;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (name.equals("usage") && v == JsonToken.START_OBJECT) {
                usage = Json.readUsage(p);
            } else {
                p.skipChildren();
            }
        }
    }

    /**
     * {@code {"type":"text_delta","text":".."}}, {@code {"type":"thinking_delta","thinking":".."}},
     * {@code {"type":"input_json_delta","partial_json":".."}}. The payload field names are distinct, so field order
     * does not matter; the delta's own type is only needed for the rare empty payload.
     */
    private void readDelta(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.START_OBJECT) {
            p.skipChildren();
            return;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            ContentKind k = switch (name) {
                case "text" -> ContentKind.TEXT;
                case "thinking" -> ContentKind.REASONING;
                case "partial_json" -> ContentKind.TOOL_CALL;
                default -> null;
            };
            if (k != null && Json.nonEmptyString(p)) {
                kind = kind == null ? k : kind;
                if (wantText) {
                    Json.appendText(p, text);
                }
            } else {
                p.skipChildren();
            }
        }
    }

    private void emit(long nanos) {
        boolean primary = false;
        if (kind != null && (type == CONTENT_BLOCK_DELTA || type == EventTypes.NONE || type == EventTypes.OTHER)) {
            sink.content(nanos, kind, 0, wantText ? text.toString() : null);
            primary = true;
        }
        boolean isError = error.present || type == ERROR;
        if (!primary && !isError && type != MESSAGE_STOP) {
            sink.empty(nanos);
        }
        if (usage != null) {
            sink.usage(nanos, usage);
        }
        if (isError) {
            sink.error(nanos, error.typeOr("error"), error.messageOrEmpty());
        }
        if (type == MESSAGE_STOP) {
            sink.done(nanos);
        }
    }
}
