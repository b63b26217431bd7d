package io.tokentap.core.stream.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import java.io.IOException;

/**
 * One JSON parser reused for every event of a stream, so that decoding an event allocates (almost) nothing: a
 * blocking Jackson parser costs about 800 bytes of garbage to create, once per event. It is Jackson's non-blocking
 * parser, fed one whole event at a time; consecutive events are consecutive root-level values to it.
 *
 * <p>A non-blocking parser answers {@link JsonToken#NOT_AVAILABLE} when its input runs out; here that means the
 * event was truncated, so {@link #begin}'s parser throws instead, the event is malformed, and the parser, whose
 * state is now unknown, is dropped and replaced on the next event.
 *
 * <pre>{@code
 * try {
 *     JsonParser p = json.begin(data, len);
 *     ... read one object ...
 *     json.end();
 * } catch (IOException | RuntimeException e) {
 *     json.discard();
 * }
 * }</pre>
 */
final class ReusableJsonParser {

    private static final byte[] SEPARATOR = {'\n'};

    /** Thrown when an event ends inside a JSON value. Stackless: it is a parse result, not a bug. */
    static final class TruncatedJson extends IOException {
        TruncatedJson() {
            super("event ended inside a JSON value");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    private static final class StrictParser extends JsonParserDelegate {

        final ByteArrayFeeder feeder;

        StrictParser(JsonParser nonBlocking) {
            super(nonBlocking);
            this.feeder = (ByteArrayFeeder) nonBlocking.getNonBlockingInputFeeder();
        }

        @Override
        public JsonToken nextToken() throws IOException {
            JsonToken t = delegate.nextToken();
            if (t == JsonToken.NOT_AVAILABLE) {
                throw new TruncatedJson();
            }
            return t;
        }

        /** Skips a structure with this class's {@link #nextToken}, so a truncated one throws too. */
        @Override
        public JsonParser skipChildren() throws IOException {
            JsonToken t = currentToken();
            if (t != JsonToken.START_OBJECT && t != JsonToken.START_ARRAY) {
                return this;
            }
            int open = 1;
            while (open > 0) {
                t = nextToken();
                if (t == null) {
                    return this;
                }
                if (t.isStructStart()) {
                    open++;
                } else if (t.isStructEnd()) {
                    open--;
                }
            }
            return this;
        }

        /** Reads the next token; NOT_AVAILABLE means all input fed so far is consumed. */
        JsonToken rawNextToken() throws IOException {
            return delegate.nextToken();
        }
    }

    private StrictParser parser;

    /** Feeds one event's JSON and returns the parser, before its first token. */
    JsonParser begin(byte[] data, int len) throws IOException {
        if (parser == null || !parser.feeder.needMoreInput()) {
            discard();
            parser = new StrictParser(Json.FACTORY.createNonBlockingByteArrayParser());
        }
        parser.feeder.feedInput(data, 0, len);
        return parser;
    }

    /**
     * The event's root value has been read. Checks that it is complete and consumes what trails it; a parser left
     * in an unknown state (trailing garbage, a second value) is dropped.
     */
    void end() throws IOException {
        StrictParser p = parser;
        if (p == null) {
            return;
        }
        if (!p.getParsingContext().inRoot()) {
            discard();
            throw new TruncatedJson();
        }
        try {
            // Whitespace after the value (Anthropic pads its data lines) is consumed here. A separator is fed
            // after it so that a trailing scalar ("{...} tru") ends now instead of swallowing the next event.
            if (p.rawNextToken() != JsonToken.NOT_AVAILABLE) {
                discard();
                return;
            }
            p.feeder.feedInput(SEPARATOR, 0, SEPARATOR.length);
            if (p.rawNextToken() != JsonToken.NOT_AVAILABLE) {
                discard();
            }
        } catch (IOException | RuntimeException e) {
            // The value itself was complete; only what followed it was not JSON.
            discard();
        }
    }

    /** Drops the parser after an error; the next {@link #begin} starts a fresh one. */
    void discard() {
        StrictParser p = parser;
        parser = null;
        if (p != null) {
            try {
                p.close();
            } catch (IOException | RuntimeException ignored) {
                // Closing releases buffers only; nothing to report.
            }
        }
    }
}
