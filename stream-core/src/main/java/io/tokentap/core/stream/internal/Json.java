package io.tokentap.core.stream.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.tokentap.core.stream.Usage;
import java.io.IOException;

/**
 * Streaming-JSON helpers shared by the decoders: one {@link JsonFactory} (thread-safe and immutable once built, it
 * holds only the canonical field-name table), and readers for the {@code usage} and {@code error} objects the APIs
 * have in common. Field names come back canonicalised, so {@code switch} on them costs no allocation.
 */
final class Json {

    static final JsonFactory FACTORY = JsonFactory.builder().build();

    /** An error message handed to the sink is cut to this many characters. */
    static final int MAX_ERROR_MESSAGE = 1024;

    private Json() {
    }

    static JsonParser parser(byte[] data, int len) throws IOException {
        return FACTORY.createParser(data, 0, len);
    }

    /** The parser is on a value: a non-negative integer, else {@link Usage#UNKNOWN} (the value is skipped). */
    static long count(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NUMBER_INT) {
            long v = p.getLongValue();
            return v < 0 ? Usage.UNKNOWN : v;
        }
        if (t == JsonToken.VALUE_NUMBER_FLOAT) {
            double v = p.getDoubleValue();
            return v < 0 || Double.isNaN(v) ? Usage.UNKNOWN : (long) v;
        }
        p.skipChildren();
        return Usage.UNKNOWN;
    }

    /** Whether the parser is on a non-empty string value. Does not create a String. */
    static boolean nonEmptyString(JsonParser p) throws IOException {
        return p.currentToken() == JsonToken.VALUE_STRING && p.getTextLength() > 0;
    }

    /** Appends the current string value to {@code sb} without creating a String. */
    static void appendText(JsonParser p, StringBuilder sb) throws IOException {
        sb.append(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
    }

    /** The current scalar value as a short string (for error types and codes), or null. */
    static String scalar(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null || t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t.isScalarValue()) {
            String s = p.getText();
            return s.length() > MAX_ERROR_MESSAGE ? s.substring(0, MAX_ERROR_MESSAGE) : s;
        }
        p.skipChildren();
        return null;
    }

    /**
     * Reads a usage object; the parser is on its START_OBJECT and is left on its END_OBJECT. Understands the
     * OpenAI chat/completions names ({@code prompt_tokens}, {@code completion_tokens},
     * {@code prompt_tokens_details.cached_tokens}, {@code completion_tokens_details.reasoning_tokens}), the
     * Responses API names ({@code input_tokens}, {@code output_tokens}, {@code input_tokens_details},
     * {@code output_tokens_details}) and Anthropic's ({@code cache_read_input_tokens},
     * {@code cache_creation_input_tokens}).
     *
     * <p>Anthropic's {@code input_tokens} excludes the cached prompt; it is restated here as OpenAI counts it, the
     * whole prompt (input + cache read + cache creation), so that input ≥ cached holds for every API.
     */
    static Usage readUsage(JsonParser p) throws IOException {
        long input = Usage.UNKNOWN;
        long output = Usage.UNKNOWN;
        long cached = Usage.UNKNOWN;
        long reasoning = Usage.UNKNOWN;
        long cacheRead = Usage.UNKNOWN;
        long cacheCreation = Usage.UNKNOWN;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "prompt_tokens", "input_tokens" -> input = count(p);
                case "completion_tokens", "output_tokens" -> output = count(p);
                case "cache_read_input_tokens" -> cacheRead = count(p);
                case "cache_creation_input_tokens" -> cacheCreation = count(p);
                case "prompt_tokens_details", "input_tokens_details" -> {
                    long v = readDetail(p, t, "cached_tokens");
                    if (v != Usage.UNKNOWN) {
                        cached = v;
                    }
                }
                case "completion_tokens_details", "output_tokens_details" -> {
                    long v = readDetail(p, t, "reasoning_tokens");
                    if (v != Usage.UNKNOWN) {
                        reasoning = v;
                    }
                }
                default -> p.skipChildren();
            }
        }
        if (cacheRead != Usage.UNKNOWN || cacheCreation != Usage.UNKNOWN) {
            cached = cacheRead;
            if (input != Usage.UNKNOWN) {
                input += Math.max(0, cacheRead) + Math.max(0, cacheCreation);
            }
        }
        return new Usage(input, output, cached, reasoning);
    }

    private static long readDetail(JsonParser p, JsonToken t, String field) throws IOException {
        long v = Usage.UNKNOWN;
        if (t != JsonToken.START_OBJECT) {
            p.skipChildren();
            return v;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            if (name.equals(field)) {
                v = count(p);
            } else {
                p.skipChildren();
            }
        }
        return v;
    }

    /** Counts the elements of the array the parser is on (skipping each), or 0 if it is not on an array. */
    static int countElements(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            p.skipChildren();
            return 0;
        }
        int n = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() == null) {
                throw new IOException("unterminated array");
            }
            n++;
            p.skipChildren();
        }
        return n;
    }

    /** Whether {@code data[0, len)}, without surrounding whitespace, is exactly {@code token}. */
    static boolean isToken(byte[] data, int len, byte[] token) {
        int start = 0;
        int end = len;
        while (start < end && isSpace(data[start])) {
            start++;
        }
        while (end > start && isSpace(data[end - 1])) {
            end--;
        }
        if (end - start != token.length) {
            return false;
        }
        for (int i = 0; i < token.length; i++) {
            if (data[start + i] != token[i]) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code data[0, len)} is only whitespace. */
    static boolean isBlank(byte[] data, int len) {
        for (int i = 0; i < len; i++) {
            if (!isSpace(data[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }
}
