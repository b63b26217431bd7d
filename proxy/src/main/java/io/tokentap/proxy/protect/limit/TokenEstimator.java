package io.tokentap.proxy.protect.limit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.tokentap.proxy.protect.ProtectionConfig;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Estimates a request's tokens from its JSON body before admission, in one streaming pass (no tree): the prompt
 * from {@code messages} (chat, Anthropic), {@code prompt} (completions, text or token ids), {@code input} and
 * {@code instructions} (Responses API) and {@code system} (Anthropic), counted with jtokkit; plus
 * {@code max_tokens} / {@code max_completion_tokens} / {@code max_output_tokens} times {@code n}.
 *
 * <p>Only text is counted: strings under {@code content}, {@code text}, {@code arguments}, bare strings and token
 * ids; image URLs and other metadata are not. Only the first {@code maxExactChars} of text are tokenised (BPE
 * costs about 0.1 to 0.2 ms per thousand characters, on the event loop); the rest is extrapolated at the sample's
 * characters per token, so that one huge prompt cannot hold the loop and the streams it carries. A body that is not JSON is estimated from its size and
 * passed on; the upstream decides what to do with it.
 *
 * <p>Thread-safe: the encoding and the JSON factory are shared, per-call state is local.
 */
public final class TokenEstimator {

    /**
     * Loaded vocabularies by name. An encoding is immutable data (a BPE table of up to 200k entries that takes a
     * second to parse), not wiring, so it is loaded once per process and shared.
     */
    private static final ConcurrentHashMap<String, Encoding> VOCABULARIES = new ConcurrentHashMap<>();

    private static final int CHARS_PER_TOKEN = 4;
    private static final int MAX_N = 128;

    private final JsonFactory json;
    private final Encoding encoding;
    private final ProtectionConfig.Tokens config;

    public TokenEstimator(ProtectionConfig.Tokens config) {
        this.config = config;
        this.encoding = VOCABULARIES.computeIfAbsent(config.encoding(), name -> Encodings.newLazyEncodingRegistry()
                .getEncoding(EncodingType.fromName(name).orElseThrow()));
        this.json = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
                .build();
    }

    /** Tokens of a plain text, with the configured encoding. */
    public int count(String text) {
        return encoding.countTokensOrdinary(text);
    }

    /** Estimates the body; the buffer's reader index and reference count are left as they were. */
    public TokenEstimate estimate(ByteBuf body) {
        int length = body.readableBytes();
        if (length == 0) {
            return new TokenEstimate(0, config.defaultOutputTokens(), false, null, false);
        }
        Scan scan = new Scan(config.maxExactChars());
        try (JsonParser p = body.hasArray()
                ? json.createParser(body.array(), body.arrayOffset() + body.readerIndex(), length)
                : json.createParser((InputStream) new ByteBufInputStream(body.duplicate()))) {
            scan.top(p);
        } catch (IOException | RuntimeException e) {
            // Not JSON (or not an object): estimate from the size and let the upstream judge the body.
            return new TokenEstimate(ceilDiv(length, CHARS_PER_TOKEN), config.defaultOutputTokens(), false, null,
                    false);
        }
        int exactChars = scan.text.length();
        long exact = exactChars == 0 ? 0 : count(scan.text.toString());
        // Text past the exact sample is extrapolated at the sample's own characters per token.
        long overflow = exact == 0 ? ceilDiv(scan.overflowChars, CHARS_PER_TOKEN)
                : (long) Math.ceil((double) scan.overflowChars * exact / exactChars);
        long prompt = scan.tokenIds + (long) scan.messages * config.perMessageTokens() + exact + overflow;
        long max = scan.maxTokens > 0 ? scan.maxTokens : config.defaultOutputTokens();
        long output = max * Math.max(1, Math.min(MAX_N, scan.n));
        return new TokenEstimate(prompt, output, true, scan.model, scan.stream);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** The state of one pass. */
    private static final class Scan {
        final StringBuilder text = new StringBuilder();
        final int maxExactChars;
        long overflowChars;
        long tokenIds;
        int messages;
        long maxTokens = -1;
        long n = 1;
        String model;
        boolean stream;

        Scan(int maxExactChars) {
            this.maxExactChars = maxExactChars;
        }

        void top(JsonParser p) throws IOException {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "messages":
                        if (t == JsonToken.START_ARRAY) {
                            messages(p);
                        } else {
                            p.skipChildren();
                        }
                        break;
                    case "prompt":
                    case "input":
                    case "instructions":
                    case "system":
                        collect(p, true);
                        break;
                    case "max_tokens":
                    case "max_completion_tokens":
                    case "max_output_tokens":
                        if (t == JsonToken.VALUE_NUMBER_INT) {
                            maxTokens = Math.max(maxTokens, p.getLongValue());
                        }
                        break;
                    case "n":
                        if (t == JsonToken.VALUE_NUMBER_INT) {
                            n = p.getLongValue();
                        }
                        break;
                    case "model":
                        if (t == JsonToken.VALUE_STRING) {
                            model = p.getText();
                        }
                        break;
                    case "stream":
                        stream = t == JsonToken.VALUE_TRUE;
                        break;
                    default:
                        p.skipChildren();
                }
            }
        }

        private void messages(JsonParser p) throws IOException {
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY && t != null) {
                if (t == JsonToken.START_OBJECT) {
                    messages++;
                }
                collect(p, false);
            }
        }

        /**
         * Collects the text of the value at the parser's current token (and of its children). Bare strings count
         * when {@code bare} (a top-level {@code prompt}) or when they are array elements.
         */
        private void collect(JsonParser p, boolean bare) throws IOException {
            JsonToken t = p.currentToken();
            if (t == JsonToken.VALUE_STRING) {
                if (bare) {
                    append(p);
                }
                return;
            }
            if (t != JsonToken.START_OBJECT && t != JsonToken.START_ARRAY) {
                return;
            }
            int depth = 1;
            String field = null;
            while (depth > 0 && (t = p.nextToken()) != null) {
                switch (t) {
                    case START_OBJECT:
                    case START_ARRAY:
                        depth++;
                        field = null;
                        break;
                    case END_OBJECT:
                    case END_ARRAY:
                        depth--;
                        break;
                    case FIELD_NAME:
                        field = p.currentName();
                        break;
                    case VALUE_STRING:
                        if (field == null ? p.getParsingContext().inArray() : isText(field)) {
                            append(p);
                        }
                        field = null;
                        break;
                    case VALUE_NUMBER_INT:
                        if (field == null && p.getParsingContext().inArray()) {
                            tokenIds++; // completions accept prompts as token ids
                        }
                        field = null;
                        break;
                    default:
                        field = null;
                }
            }
        }

        private static boolean isText(String field) {
            return field.equals("content") || field.equals("text") || field.equals("arguments")
                    || field.equals("input") || field.equals("output");
        }

        private void append(JsonParser p) throws IOException {
            int room = maxExactChars - text.length();
            int len = p.getTextLength();
            if (len <= room) {
                text.append(p.getTextCharacters(), p.getTextOffset(), len);
            } else {
                if (room > 0) {
                    text.append(p.getTextCharacters(), p.getTextOffset(), room);
                }
                overflowChars += len - Math.max(room, 0);
            }
            text.append('\n');
        }
    }
}
