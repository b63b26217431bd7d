package io.tokentap.core.stream.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.StreamDecoder;
import io.tokentap.core.stream.StreamEventSink;
import io.tokentap.core.stream.Usage;
import java.io.IOException;

/**
 * A non-streaming JSON response: the body is buffered (up to a bound) and read once at {@link #end}, which emits
 * one content event if the body holds generated output, the usage, and the end marker (or an error). All events
 * carry the time the last body byte was read: that is when the client has the answer.
 *
 * <p>Understands the bodies of OpenAI chat.completions ({@code choices[].message}) and completions
 * ({@code choices[].text}), the Responses API ({@code output[].content[].text}, {@code output[].summary[].text},
 * {@code output[].arguments}), Anthropic Messages ({@code content[].text}, {@code content[].thinking}), TGI
 * {@code /generate} ({@code generated_text}, {@code details.generated_tokens}) and Ollama ({@code response},
 * {@code message.content}, {@code prompt_eval_count}, {@code eval_count}); {@code usage} is read wherever it is.
 * The content event's kind is text if the body has any, else reasoning, else tool call; its token count is the
 * usage's output tokens when known.
 */
final class JsonBodyDecoder implements StreamDecoder {

    private static final int INITIAL_CAPACITY = 1024;

    private final StreamEventSink sink;
    private final int maxBodyBytes;
    private final boolean wantText;
    private byte[] body = new byte[INITIAL_CAPACITY];
    private int len;
    private boolean overflow;
    private boolean ended;
    private long lastReadNanos;
    private boolean anyRead;
    private long malformed;

    // Collected while walking the body.
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private final StringBuilder toolCall = new StringBuilder();
    private boolean hasText;
    private boolean hasReasoning;
    private boolean hasToolCall;
    private Usage usage = Usage.NONE;
    private boolean hasUsage;
    private final ErrorFields error = new ErrorFields();

    JsonBodyDecoder(StreamEventSink sink, int maxBodyBytes) {
        if (maxBodyBytes <= 0) {
            throw new IllegalArgumentException("maxBodyBytes: " + maxBodyBytes + " (expected: > 0)");
        }
        this.sink = sink;
        this.maxBodyBytes = maxBodyBytes;
        this.wantText = sink.wantsText();
    }

    @Override
    public void feed(ByteBuf buf, long nanos) {
        int n = buf.readableBytes();
        if (n == 0 || ended) {
            return;
        }
        anyRead = true;
        lastReadNanos = nanos;
        if (overflow) {
            return;
        }
        if (n > maxBodyBytes - len) {
            overflow = true;
            body = null;
            len = 0;
            return;
        }
        int need = len + n;
        if (need > body.length) {
            byte[] grown = new byte[Math.min(Math.max(need, body.length * 2), maxBodyBytes)];
            System.arraycopy(body, 0, grown, 0, len);
            body = grown;
        }
        buf.getBytes(buf.readerIndex(), body, len, n);
        len = need;
    }

    @Override
    public void end(long nanos) {
        if (ended) {
            return;
        }
        ended = true;
        if (overflow) {
            malformed++;
            return;
        }
        byte[] b = body;
        body = null;
        if (!anyRead || Json.isBlank(b, len)) {
            return;
        }
        long at = lastReadNanos;
        try (JsonParser p = Json.parser(b, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                malformed++;
                return;
            }
            walkObject(p, null, 1);
        } catch (IOException | RuntimeException e) {
            malformed++;
            return;
        }
        emit(at);
    }

    @Override
    public long malformedCount() {
        return malformed;
    }

    /** Walks an object; {@code self} is the name of the field holding it (for array elements, the array's). */
    private void walkObject(JsonParser p, String self, int depth) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_OBJECT) {
                if (name.equals("usage")) {
                    usage = usage.merge(Json.readUsage(p));
                    hasUsage = true;
                } else if (name.equals("error") && depth == 1) {
                    error.read(p);
                } else if (name.equals("details") && depth == 1) {
                    readTgiDetails(p);
                } else {
                    walkObject(p, name, depth + 1);
                }
            } else if (t == JsonToken.START_ARRAY) {
                walkArray(p, name, depth + 1);
            } else if (t == JsonToken.VALUE_STRING) {
                string(p, name, self, depth);
            } else if (depth == 1 && (name.equals("prompt_eval_count") || name.equals("eval_count"))) {
                long v = Json.count(p);
                Usage u = name.equals("eval_count")
                        ? new Usage(Usage.UNKNOWN, v, Usage.UNKNOWN, Usage.UNKNOWN)
                        : new Usage(v, Usage.UNKNOWN, Usage.UNKNOWN, Usage.UNKNOWN);
                usage = usage.merge(u);
                hasUsage = true;
            }
        }
    }

    private void walkArray(JsonParser p, String self, int depth) throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == null) {
                throw new IOException("unterminated array");
            }
            if (t == JsonToken.START_OBJECT) {
                walkObject(p, self, depth);
            } else {
                p.skipChildren();
            }
        }
    }

    private void string(JsonParser p, String name, String self, int depth) throws IOException {
        if (depth == 1) {
            if (name.equals("error")) {
                error.read(p);
                return;
            }
            if (name.equals("generated_text") || name.equals("response")) {
                collect(p, ContentKind.TEXT);
            } else if (name.equals("thinking")) {
                collect(p, ContentKind.REASONING);
            }
            return;
        }
        if (self == null) {
            return;
        }
        switch (self) {
            case "message" -> {
                switch (name) {
                    case "content", "refusal" -> collect(p, ContentKind.TEXT);
                    case "reasoning_content", "reasoning", "thinking" -> collect(p, ContentKind.REASONING);
                    default -> { }
                }
            }
            case "choices" -> {
                if (name.equals("text")) {
                    collect(p, ContentKind.TEXT);
                }
            }
            case "content" -> {
                if (name.equals("text")) {
                    collect(p, ContentKind.TEXT);
                } else if (name.equals("thinking")) {
                    collect(p, ContentKind.REASONING);
                }
            }
            case "summary" -> {
                if (name.equals("text")) {
                    collect(p, ContentKind.REASONING);
                }
            }
            case "function", "output" -> {
                if (name.equals("arguments")) {
                    collect(p, ContentKind.TOOL_CALL);
                }
            }
            default -> { }
        }
    }

    private void collect(JsonParser p, ContentKind kind) throws IOException {
        if (!Json.nonEmptyString(p)) {
            return;
        }
        StringBuilder sb = switch (kind) {
            case TEXT -> {
                hasText = true;
                yield text;
            }
            case REASONING -> {
                hasReasoning = true;
                yield reasoning;
            }
            case TOOL_CALL -> {
                hasToolCall = true;
                yield toolCall;
            }
        };
        if (wantText) {
            Json.appendText(p, sb);
        }
    }

    private void readTgiDetails(JsonParser p) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            if (name.equals("generated_tokens")) {
                usage = usage.merge(new Usage(Usage.UNKNOWN, Json.count(p), Usage.UNKNOWN, Usage.UNKNOWN));
                hasUsage = true;
            } else {
                p.skipChildren();
            }
        }
    }

    private void emit(long nanos) {
        if (error.present) {
            if (hasUsage) {
                sink.usage(nanos, usage);
            }
            sink.error(nanos, error.typeOr("error"), error.messageOrEmpty());
            return;
        }
        int tokens = usage.hasOutputTokens() ? (int) Math.min(Integer.MAX_VALUE, usage.outputTokens()) : 0;
        if (hasText) {
            sink.content(nanos, ContentKind.TEXT, tokens, wantText ? text.toString() : null);
        } else if (hasReasoning) {
            sink.content(nanos, ContentKind.REASONING, tokens, wantText ? reasoning.toString() : null);
        } else if (hasToolCall) {
            sink.content(nanos, ContentKind.TOOL_CALL, tokens, wantText ? toolCall.toString() : null);
        } else {
            sink.empty(nanos);
        }
        if (hasUsage) {
            sink.usage(nanos, usage);
        }
        sink.done(nanos);
    }
}
