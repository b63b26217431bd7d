package io.tokentap.core.stream.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.StreamEventSink;
import java.io.IOException;

/**
 * What one OpenAI-style chunk generated, collected while it is parsed and reported once it is complete: at most one
 * content event per kind (reasoning, then text, then tool call). Reused from chunk to chunk; text is only kept when
 * the sink wants it.
 */
final class ChunkContent {

    private final boolean wantText;
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private final StringBuilder toolCall = new StringBuilder();
    private boolean hasText;
    private boolean hasReasoning;
    private boolean hasToolCall;
    /** Tokens the chunk states for its text (logprobs entries, TGI tokens); 0 when unknown. */
    int tokens;

    ChunkContent(boolean wantText) {
        this.wantText = wantText;
    }

    void reset() {
        hasText = false;
        hasReasoning = false;
        hasToolCall = false;
        tokens = 0;
        if (wantText) {
            text.setLength(0);
            reasoning.setLength(0);
            toolCall.setLength(0);
        }
    }

    /** The parser is on a text value: a non-empty string counts as generated text. */
    void text(JsonParser p) throws IOException {
        collect(p, ContentKind.TEXT);
    }

    /** The parser is on a reasoning value ({@code reasoning_content}, {@code reasoning}). */
    void reasoning(JsonParser p) throws IOException {
        collect(p, ContentKind.REASONING);
    }

    /** The parser is on a tool call's {@code name} (counted, not kept as text) or {@code arguments}. */
    void toolCall(JsonParser p, boolean arguments) throws IOException {
        if (Json.nonEmptyString(p)) {
            hasToolCall = true;
            if (wantText && arguments) {
                Json.appendText(p, toolCall);
            }
        } else {
            p.skipChildren();
        }
    }

    /** A non-empty text or reasoning value seen by {@link OpenAiChunkScanner}, which runs only when text is not kept. */
    void sawContent(boolean isReasoning) {
        if (isReasoning) {
            hasReasoning = true;
        } else {
            hasText = true;
        }
    }

    /** TGI's token: counted as one text token; its text (possibly none, for a special token) is already kept. */
    void tgiToken() {
        hasText = true;
        tokens += 1;
    }

    /** The text builder when the sink wants text, else null. */
    StringBuilder textBuffer() {
        return wantText ? text : null;
    }

    /**
     * A {@code content} given as a list of parts, as Mistral's reasoning models stream it:
     * {@code [{"type":"thinking","thinking":[{"type":"text","text":".."}]}, {"type":"text","text":".."}]}. The
     * parser is on the START_ARRAY.
     */
    void contentParts(JsonParser p) throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                continue;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals("text")) {
                    collect(p, ContentKind.TEXT);
                } else if (name.equals("thinking")) {
                    thinkingParts(p, v);
                } else {
                    p.skipChildren();
                }
            }
        }
    }

    private void thinkingParts(JsonParser p, JsonToken v) throws IOException {
        if (v == JsonToken.VALUE_STRING) {
            collect(p, ContentKind.REASONING);
            return;
        }
        if (v != JsonToken.START_ARRAY) {
            p.skipChildren();
            return;
        }
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                continue;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals("text")) {
                    collect(p, ContentKind.REASONING);
                } else {
                    p.skipChildren();
                }
            }
        }
    }

    private void collect(JsonParser p, ContentKind kind) throws IOException {
        if (!Json.nonEmptyString(p)) {
            p.skipChildren();
            return;
        }
        StringBuilder sb;
        if (kind == ContentKind.TEXT) {
            hasText = true;
            sb = text;
        } else {
            hasReasoning = true;
            sb = reasoning;
        }
        if (wantText) {
            Json.appendText(p, sb);
        }
    }

    /** Reports the chunk's content events; returns whether there was any. */
    boolean emit(StreamEventSink sink, long nanos) {
        if (hasReasoning) {
            sink.content(nanos, ContentKind.REASONING, 0, wantText ? reasoning.toString() : null);
        }
        if (hasText) {
            sink.content(nanos, ContentKind.TEXT, tokens, wantText ? text.toString() : null);
        }
        if (hasToolCall) {
            sink.content(nanos, ContentKind.TOOL_CALL, hasText ? 0 : tokens, wantText ? toolCall.toString() : null);
        }
        return hasReasoning || hasText || hasToolCall;
    }
}
