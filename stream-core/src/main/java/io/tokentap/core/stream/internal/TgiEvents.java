package io.tokentap.core.stream.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.tokentap.core.stream.Usage;
import java.io.IOException;

/**
 * The parts of TGI's native {@code /generate_stream} events: {@code token} (one generated token per event) and
 * {@code details} (on the last event, with the counts). TGI writes {@code data:{...}} with no space after the colon.
 */
final class TgiEvents {

    private TgiEvents() {
    }

    /**
     * Reads {@code "token": {"id":..,"text":"..","logprob":..,"special":false}}; the parser is on its START_OBJECT.
     * Appends the token's text to {@code text} when it is not null, unless the token is special (such as
     * {@code </s>}: a generated token, but not text).
     */
    static void readToken(JsonParser p, StringBuilder text) throws IOException {
        boolean special = false;
        int mark = text != null ? text.length() : 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (name.equals("text") && v == JsonToken.VALUE_STRING) {
                if (text != null) {
                    Json.appendText(p, text);
                }
            } else if (name.equals("special")) {
                special = v == JsonToken.VALUE_TRUE;
            } else {
                p.skipChildren();
            }
        }
        if (special && text != null) {
            text.setLength(mark);
        }
    }

    /**
     * Reads {@code "details": {"finish_reason":..,"generated_tokens":n,"input_length":m,..}}; the parser is on its
     * START_OBJECT. Returns the usage, or null when the details carry no count.
     */
    static Usage readDetails(JsonParser p) throws IOException {
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
        if (generated == Usage.UNKNOWN && input == Usage.UNKNOWN) {
            return null;
        }
        return new Usage(input, generated, Usage.UNKNOWN, Usage.UNKNOWN);
    }
}
