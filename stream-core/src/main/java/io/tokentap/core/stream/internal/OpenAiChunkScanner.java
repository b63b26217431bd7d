package io.tokentap.core.stream.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads the chunk nearly every OpenAI-compatible server streams, {@code {"choices":[{"delta":{"content":".."}}]}}
 * with whatever else it carries, straight from its bytes, for a sink that does not want the text. It is the fast
 * path of {@link OpenAiChunkHandler}, which parses with Jackson otherwise: the handler was 7 % of the proxy's CPU
 * samples at 1,000 relayed streams, about 2.4 of its 32 µs per event.
 *
 * <p>The rule it keeps: when {@link #scan} returns true, the {@link ChunkContent} holds exactly what the Jackson path
 * would have put there, and the chunk has nothing else that path reads. So it reads the whole root object and
 * checks it as strictly as Jackson does, or more so: strict JSON (no comments, no trailing commas, no unquoted
 * names, no leading zeros), well-formed UTF-8 (Jackson's own check is laxer, so whatever passes here passes there),
 * no control character inside a string, nesting at most {@link #MAX_DEPTH} deep. Anything it does not know, or
 * does not want to decide, makes it return false, with the content half filled: the caller resets it and parses
 * with Jackson from the start. That covers a {@code usage} object, {@code error}, TGI's fields, tool calls, a
 * {@code logprobs} object, content given as parts, and a field name with an escape in it. What follows the root
 * object is not looked at, as the Jackson path ignores it too.
 *
 * <p>{@code OpenAiChunkScannerTest} runs both paths side by side over fixture chunks and mutations of them.
 */
final class OpenAiChunkScanner {

    static final int MAX_DEPTH = 64;
    /** Longer strings and numbers go to Jackson, whose limits are far above these. */
    private static final int MAX_STRING_BYTES = 1 << 20;
    /** Eight bytes of the chunk as one long, the first byte lowest. */
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final int MAX_NUMBER_CHARS = 100;

    private static final byte[] CHOICES = ascii("choices");
    private static final byte[] USAGE = ascii("usage");
    private static final byte[] ERROR = ascii("error");
    private static final byte[] ERROR_TYPE = ascii("error_type");
    private static final byte[] TOKEN = ascii("token");
    private static final byte[] GENERATED_TEXT = ascii("generated_text");
    private static final byte[] DETAILS = ascii("details");
    private static final byte[] DELTA = ascii("delta");
    private static final byte[] TEXT = ascii("text");
    private static final byte[] LOGPROBS = ascii("logprobs");
    private static final byte[] CONTENT = ascii("content");
    private static final byte[] REFUSAL = ascii("refusal");
    private static final byte[] REASONING_CONTENT = ascii("reasoning_content");
    private static final byte[] REASONING = ascii("reasoning");
    private static final byte[] TOOL_CALLS = ascii("tool_calls");
    private static final byte[] TRUE = ascii("true");
    private static final byte[] FALSE = ascii("false");
    private static final byte[] NULL = ascii("null");

    /** Thrown to give up; stackless and shared, so giving up costs no allocation. */
    private static final class GiveUp extends RuntimeException {
        GiveUp() {
            super("not for the fast path", null, false, false);
        }
    }

    private static final GiveUp GIVE_UP = new GiveUp();

    private byte[] b;
    private int pos;
    private int end;
    private ChunkContent content;
    /** The last field name read, as {@code b[nameFrom, nameTo)}. */
    private int nameFrom;
    private int nameTo;

    /**
     * Reads the chunk in {@code data[0, len)} into {@code content} (reset by the caller). False when the chunk is
     * not one this path reads: the caller must reset {@code content} and parse with Jackson.
     */
    boolean scan(byte[] data, int len, ChunkContent content) {
        this.b = data;
        this.pos = 0;
        this.end = len;
        this.content = content;
        try {
            space();
            if (next() != '{') {
                return false;
            }
            chunk();
            return true;
        } catch (GiveUp e) {
            return false;
        } finally {
            this.b = null;
            this.content = null;
        }
    }

    /** The root object, after its brace: the fields {@code OpenAiChunkHandler.readChunk} reads. */
    private void chunk() {
        if (empty('}')) {
            return;
        }
        do {
            fieldName();
            if (nameIs(CHOICES)) {
                if (peek() == '[') {
                    pos++;
                    choices();
                } else {
                    skipValue(1);
                }
            } else if (nameIs(USAGE)) {
                if (peek() == '{') {
                    throw GIVE_UP;
                }
                skipValue(1);
            } else if (nameIs(ERROR) || nameIs(ERROR_TYPE) || nameIs(TOKEN) || nameIs(GENERATED_TEXT)
                    || nameIs(DETAILS)) {
                throw GIVE_UP;
            } else {
                skipValue(1);
            }
        } while (more('}'));
    }

    private void choices() {
        if (empty(']')) {
            return;
        }
        do {
            if (peek() == '{') {
                pos++;
                choice();
            } else {
                skipValue(2);
            }
        } while (more(']'));
    }

    private void choice() {
        if (empty('}')) {
            return;
        }
        do {
            fieldName();
            if (nameIs(DELTA)) {
                if (peek() == '{') {
                    pos++;
                    delta();
                } else {
                    skipValue(3);
                }
            } else if (nameIs(TEXT)) {
                collect(false, 3);
            } else if (nameIs(LOGPROBS)) {
                if (peek() == '{') {
                    throw GIVE_UP;
                }
                skipValue(3);
            } else {
                skipValue(3);
            }
        } while (more('}'));
    }

    private void delta() {
        if (empty('}')) {
            return;
        }
        do {
            fieldName();
            if (nameIs(CONTENT)) {
                if (peek() == '[') {
                    throw GIVE_UP;
                }
                collect(false, 4);
            } else if (nameIs(REFUSAL)) {
                collect(false, 4);
            } else if (nameIs(REASONING_CONTENT) || nameIs(REASONING)) {
                collect(true, 4);
            } else if (nameIs(TOOL_CALLS)) {
                if (peek() == '[') {
                    throw GIVE_UP;
                }
                skipValue(4);
            } else {
                skipValue(4);
            }
        } while (more('}'));
    }

    /** As {@code ChunkContent.collect}: a non-empty string is content of its kind; any other value is skipped. */
    private void collect(boolean reasoning, int depth) {
        if (peek() != '"') {
            skipValue(depth);
        } else if (string() > 0) {
            content.sawContent(reasoning);
        }
    }

    // ---- the JSON grammar -------------------------------------------------------------------------------------

    /**
     * After an opening brace or bracket: true (and past {@code close}) if the object or array is empty; else on its
     * first field name or element.
     */
    private boolean empty(char close) {
        space();
        if (peek() == close) {
            pos++;
            return true;
        }
        return false;
    }

    /** After a field or element: true if another follows (and past the comma), false past {@code close}. */
    private boolean more(char close) {
        space();
        byte c = next();
        if (c == ',') {
            space();
            return true;
        }
        if (c == close) {
            return false;
        }
        throw GIVE_UP;
    }

    /** A field name and its colon, leaving {@link #pos} on the value. A name with an escape gives up. */
    private void fieldName() {
        if (peek() != '"') {
            throw GIVE_UP;
        }
        int from = pos + 1;
        boolean escaped = skipString();
        if (escaped) {
            throw GIVE_UP;
        }
        nameFrom = from;
        nameTo = pos - 1;
        space();
        if (next() != ':') {
            throw GIVE_UP;
        }
        space();
    }

    private boolean nameIs(byte[] name) {
        int n = nameTo - nameFrom;
        if (n != name.length) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (b[nameFrom + i] != name[i]) {
                return false;
            }
        }
        return true;
    }

    /** A string value: its length in bytes between the quotes (0 only for {@code ""}). */
    private int string() {
        int from = pos + 1;
        skipString();
        return pos - 1 - from;
    }

    /** From an opening quote to past the closing one; whether the string held an escape. */
    private boolean skipString() {
        int from = ++pos;
        boolean escaped = false;
        while (true) {
            // Eight plain bytes at a time (not a quote, a backslash, a control byte or a byte of a UTF-8 sequence),
            // then byte by byte from the first one that is not.
            while (pos + 8 <= end && pos - from <= MAX_STRING_BYTES) {
                long special = special((long) LONGS.get(b, pos));
                if (special != 0) {
                    pos += Long.numberOfTrailingZeros(special) >>> 3;
                    break;
                }
                pos += 8;
            }
            if (pos >= end || pos - from > MAX_STRING_BYTES) {
                throw GIVE_UP;
            }
            int c = b[pos] & 0xFF;
            if (c == '"') {
                pos++;
                return escaped;
            }
            if (c == '\\') {
                escape();
                escaped = true;
            } else if (c < 0x20) {
                throw GIVE_UP;
            } else if (c < 0x80) {
                pos++;
            } else {
                utf8(c);
            }
        }
    }

    /**
     * The high bit set in each byte of {@code w} that is a quote, a backslash, below 0x20 or from 0x80 up; exact for
     * the lowest such byte (a byte above it may be marked falsely, by a borrow), which is the one looked at.
     */
    static long special(long w) {
        long quote = w ^ (ONES * '"');
        long backslash = w ^ (ONES * '\\');
        return ((quote - ONES) & ~quote | (backslash - ONES) & ~backslash | (w - ONES * 0x20) & ~w | w) & HIGHS;
    }

    private void escape() {
        pos++;
        byte e = next();
        switch (e) {
            case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> {
            }
            case 'u' -> {
                for (int i = 0; i < 4; i++) {
                    byte h = next();
                    if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F'))) {
                        throw GIVE_UP;
                    }
                }
            }
            default -> throw GIVE_UP;
        }
    }

    /** One well-formed UTF-8 sequence (RFC 3629: no overlong form, no surrogate, at most U+10FFFF) led by {@code c}. */
    private void utf8(int c) {
        int lo = 0x80;
        int hi = 0xBF;
        int more;
        if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            if (c == 0xE0) {
                lo = 0xA0;
            } else if (c == 0xED) {
                hi = 0x9F;
            }
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            if (c == 0xF0) {
                lo = 0x90;
            } else if (c == 0xF4) {
                hi = 0x8F;
            }
        } else {
            throw GIVE_UP;
        }
        pos++;
        for (int i = 0; i < more; i++) {
            int d = next() & 0xFF;
            if (d < lo || d > hi) {
                throw GIVE_UP;
            }
            lo = 0x80;
            hi = 0xBF;
        }
    }

    /** Any value, at nesting {@code depth} (the root object is 1). */
    private void skipValue(int depth) {
        if (depth > MAX_DEPTH) {
            throw GIVE_UP;
        }
        byte c = peek();
        switch (c) {
            case '"' -> skipString();
            case '{' -> {
                pos++;
                if (!empty('}')) {
                    do {
                        fieldName();
                        skipValue(depth + 1);
                    } while (more('}'));
                }
            }
            case '[' -> {
                pos++;
                if (!empty(']')) {
                    do {
                        skipValue(depth + 1);
                    } while (more(']'));
                }
            }
            case 't' -> literal(TRUE);
            case 'f' -> literal(FALSE);
            case 'n' -> literal(NULL);
            default -> number();
        }
    }

    private void literal(byte[] word) {
        for (byte w : word) {
            if (next() != w) {
                throw GIVE_UP;
            }
        }
    }

    /** {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}; what may follow is the caller's to check. */
    private void number() {
        int from = pos;
        if (peek() == '-') {
            pos++;
        }
        byte c = next();
        if (c == '0') {
            // a leading zero stands alone
        } else if (c >= '1' && c <= '9') {
            digits();
        } else {
            throw GIVE_UP;
        }
        if (pos < end && b[pos] == '.') {
            pos++;
            oneOrMoreDigits();
        }
        if (pos < end && (b[pos] == 'e' || b[pos] == 'E')) {
            pos++;
            if (pos < end && (b[pos] == '+' || b[pos] == '-')) {
                pos++;
            }
            oneOrMoreDigits();
        }
        if (pos - from > MAX_NUMBER_CHARS) {
            throw GIVE_UP;
        }
    }

    private void oneOrMoreDigits() {
        byte c = next();
        if (c < '0' || c > '9') {
            throw GIVE_UP;
        }
        digits();
    }

    private void digits() {
        while (pos < end && b[pos] >= '0' && b[pos] <= '9') {
            pos++;
        }
    }

    private void space() {
        while (pos < end) {
            byte c = b[pos];
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return;
            }
            pos++;
        }
    }

    private byte peek() {
        if (pos >= end) {
            throw GIVE_UP;
        }
        return b[pos];
    }

    private byte next() {
        if (pos >= end) {
            throw GIVE_UP;
        }
        return b[pos++];
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
