package io.tokentap.proxy.relay;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;

/**
 * Finds the top-level {@code "model"} of a JSON request body while the body streams past, with Jackson's
 * non-blocking parser. It looks at no more than a fixed number of bytes and never holds the body back: each slice
 * is copied into a small scratch array, parsed, and forgotten. Whatever it cannot find stays {@code null}. The
 * scratch array is the thread's own, shared by every request its event loop peeks at: {@link #feed} parses all it
 * copied before it returns, so no parser reads the array after another request has filled it again (a 4 KB array
 * per request was a seventh of the relay's allocation).
 */
final class ModelPeek {

    private static final int SCRATCH_BYTES = 4096;
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[SCRATCH_BYTES];
        }
    };

    private final JsonFactory json;
    private final int limitBytes;
    private JsonParser parser;
    private int seenBytes;
    private int depth;
    private boolean modelValueNext;
    private boolean done;
    private String model;

    ModelPeek(JsonFactory json, int limitBytes) {
        this.json = json;
        this.limitBytes = limitBytes;
        this.done = limitBytes == 0;
    }

    boolean done() {
        return done;
    }

    /** The model, or {@code null} when not (yet) found. */
    String model() {
        return model;
    }

    /** Looks at the readable bytes of {@code buf} without changing its indices. */
    void feed(ByteBuf buf) {
        int index = buf.readerIndex();
        int remaining = buf.readableBytes();
        if (done || remaining <= 0) {
            return;
        }
        byte[] scratch = SCRATCH.get();
        try {
            while (!done && remaining > 0) {
                int n = Math.min(Math.min(remaining, scratch.length), limitBytes - seenBytes);
                buf.getBytes(index, scratch, 0, n);
                index += n;
                remaining -= n;
                seenBytes += n;
                if (parser == null) {
                    parser = json.createNonBlockingByteArrayParser();
                }
                ((ByteArrayFeeder) parser.getNonBlockingInputFeeder()).feedInput(scratch, 0, n);
                // Reading until NOT_AVAILABLE consumes the whole slice, so the scratch array may be reused.
                drain();
                if (!done && seenBytes >= limitBytes) {
                    finish();
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not JSON, or not the JSON we expected: the body is still relayed, only the model stays unknown.
            finish();
        }
    }

    /** The body ended. */
    void end() {
        finish();
    }

    private void drain() throws IOException {
        JsonToken t;
        while (!done && (t = parser.nextToken()) != JsonToken.NOT_AVAILABLE && t != null) {
            switch (t) {
                case START_OBJECT:
                case START_ARRAY:
                    if (depth == 0 && t != JsonToken.START_OBJECT) {
                        finish();
                        return;
                    }
                    depth++;
                    modelValueNext = false;
                    break;
                case END_OBJECT:
                case END_ARRAY:
                    depth--;
                    if (depth == 0) {
                        finish();
                        return;
                    }
                    break;
                case FIELD_NAME:
                    modelValueNext = depth == 1 && "model".equals(parser.currentName());
                    break;
                case VALUE_STRING:
                    if (modelValueNext) {
                        model = parser.getText();
                        finish();
                        return;
                    }
                    break;
                default:
                    modelValueNext = false;
                    break;
            }
        }
    }

    private void finish() {
        done = true;
        if (parser != null) {
            try {
                parser.close();
            } catch (IOException ignored) {
                // Nothing is held open by a byte-array parser.
            }
            parser = null;
        }
    }
}
