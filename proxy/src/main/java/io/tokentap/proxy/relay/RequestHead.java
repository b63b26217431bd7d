package io.tokentap.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import io.tokentap.proxy.protect.tenant.TenantResolver;
import java.nio.charset.StandardCharsets;

/**
 * A request head read straight from the bytes, for {@link EarlyRejection} only. It accepts one narrow, strict shape
 * and refuses everything else, which the HTTP codec then reads as usual:
 *
 * <ul>
 *   <li>a request line {@code METHOD SP /target SP HTTP/1.1 CRLF}: an upper-case method other than HEAD and CONNECT,
 *       an origin-form target of visible ASCII;</li>
 *   <li>header lines {@code name ":" OWS value OWS CRLF}: a token for the name, visible ASCII, spaces and tabs for
 *       the value (no obsolete line folding, no bytes above 0x7e, no bare LF);</li>
 *   <li>at most one {@code Content-Length} of digits only; no {@code Transfer-Encoding}, {@code Expect} or
 *       {@code Upgrade}; a {@code Connection} of {@code keep-alive} and {@code close} only;</li>
 *   <li>within the codec's limits on the request line and the header section.</li>
 * </ul>
 *
 * A head this reads is framed by its Content-Length alone, as the codec frames it, so the two can never disagree
 * on where a request ends. One instance per connection, reused for each request; not thread-safe.
 */
final class RequestHead implements TenantResolver.Headers {

    /** {@link #parse}: the head's end is not in the bytes yet. */
    static final int INCOMPLETE = -1;
    /** {@link #parse}: not the strict shape; the codec must read this request. */
    static final int REFUSED = -2;

    private static final int MAX_HEADERS = 64;
    private static final int MAX_METHOD = 16;
    private static final byte[] VERSION = " HTTP/1.1".getBytes(StandardCharsets.US_ASCII);
    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
    }

    /** Continues over a method's letters. */
    private static final ByteProcessor UPPER = b -> b >= 'A' && b <= 'Z';
    /** Continues over visible ASCII: a request target. */
    private static final ByteProcessor VISIBLE = b -> b >= 0x21 && b <= 0x7e;
    /** Continues over a header name's characters. */
    private static final ByteProcessor TOKEN = b -> b >= 0 && TCHAR[b];
    /** Continues over what a header value may hold here: visible ASCII, spaces and tabs. */
    private static final ByteProcessor FIELD = b -> b >= 0x21 && b <= 0x7e || b == ' ' || b == '\t';

    private final int maxInitialLineBytes;
    private final int maxHeaderBytes;
    /** Per header: name start, name end, value start, value end (absolute indexes into {@link #buf}). */
    private final int[] fields = new int[MAX_HEADERS * 4];
    private int count;
    private ByteBuf buf;
    private String method;
    private String uri;
    private boolean keepAlive;
    private long contentLength;

    RequestHead(int maxInitialLineBytes, int maxHeaderBytes) {
        this.maxInitialLineBytes = maxInitialLineBytes;
        this.maxHeaderBytes = maxHeaderBytes;
    }

    /**
     * Reads the head that starts at {@code buf}'s reader index, without moving it. Returns the head's length in bytes
     * (its empty line included), {@link #INCOMPLETE} (the bytes so far can still become a head this accepts) or
     * {@link #REFUSED}. After a length, the accessors describe
     * this head and {@link #get} reads {@code buf}, which must stay unchanged while it is used.
     */
    int parse(ByteBuf buf) {
        this.buf = buf;
        count = 0;
        keepAlive = true;
        contentLength = -1;
        int start = buf.readerIndex();
        int end = buf.writerIndex();
        int lf = buf.forEachByte(start, Math.min(end - start, maxInitialLineBytes + 2), ByteProcessor.FIND_LF);
        if (lf < 0) {
            return end - start >= maxInitialLineBytes + 2 || !requestLinePrefix(start, end) ? REFUSED : INCOMPLETE;
        }
        if (!requestLine(start, lf)) {
            return REFUSED;
        }
        int limit = lf + 1 + maxHeaderBytes;
        int line = lf + 1;
        for (;;) {
            int scanEnd = Math.min(end, limit);
            if (line >= scanEnd) {
                return end >= limit ? REFUSED : INCOMPLETE;
            }
            int next = buf.forEachByte(line, scanEnd - line, ByteProcessor.FIND_LF);
            if (next < 0) {
                return end >= limit || !headerLinePrefix(line, end) ? REFUSED : INCOMPLETE;
            }
            if (next == line || buf.getByte(next - 1) != '\r') {
                return REFUSED; // a bare LF
            }
            if (next - 1 == line) {
                return next + 1 - start; // the empty line: the head is complete
            }
            if (!headerLine(line, next - 1)) {
                return REFUSED;
            }
            line = next + 1;
        }
    }

    /** The method, e.g. {@code POST}. */
    String method() {
        return method;
    }

    /** The request target as sent, query included. */
    String uri() {
        return uri;
    }

    /** The target without its query: the route the metrics use. */
    String path() {
        return pathOf(uri);
    }

    /** A request target without its query. */
    static String pathOf(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    /** False when the client sent {@code Connection: close}. */
    boolean keepAlive() {
        return keepAlive;
    }

    /** The body's length: the Content-Length, 0 without one. */
    long contentLength() {
        return Math.max(0, contentLength);
    }

    /** The first value of a header (its name matched without regard to case), or null. */
    @Override
    public String get(CharSequence name) {
        for (int i = 0; i < count; i++) {
            int f = i * 4;
            if (nameIs(fields[f], fields[f + 1], name)) {
                return buf.toString(fields[f + 2], fields[f + 3] - fields[f + 2], StandardCharsets.US_ASCII);
            }
        }
        return null;
    }

    private boolean requestLine(int start, int lf) {
        int cr = lf - 1;
        if (cr <= start || buf.getByte(cr) != '\r') {
            return false;
        }
        int i = methodEnd(start, cr);
        if (i < 0 || i == cr) {
            return false;
        }
        method = buf.toString(start, i - start, StandardCharsets.US_ASCII);
        if (method.equals("HEAD") || method.equals("CONNECT")) {
            return false; // their responses follow other rules: the codec's path keeps them
        }
        int targetStart = i + 1;
        int targetEnd = cr - VERSION.length;
        if (targetEnd <= targetStart || buf.getByte(targetStart) != '/') {
            return false;
        }
        for (int k = 0; k < VERSION.length; k++) {
            if (buf.getByte(targetEnd + k) != VERSION[k]) {
                return false;
            }
        }
        if (buf.forEachByte(targetStart, targetEnd - targetStart, VISIBLE) >= 0) {
            return false;
        }
        uri = buf.toString(targetStart, targetEnd - targetStart, StandardCharsets.US_ASCII);
        return true;
    }

    /**
     * The index of the space after a method of 1 to {@link #MAX_METHOD} upper-case letters at {@code start};
     * {@code end} when the bytes up to {@code end} are all such a method's beginning; -1 for anything else.
     */
    private int methodEnd(int start, int end) {
        int i = buf.forEachByte(start, Math.min(end - start, MAX_METHOD + 1), UPPER);
        if (i < 0) {
            return end - start <= MAX_METHOD ? end : -1;
        }
        return i > start && buf.getByte(i) == ' ' ? i : -1;
    }

    /** Whether the bytes of an unfinished request line can still become one this accepts. */
    private boolean requestLinePrefix(int start, int end) {
        int i = methodEnd(start, end);
        if (i < 0 || i == end) {
            return i == end;
        }
        if (++i < end && buf.getByte(i) != '/') {
            return false;
        }
        int space = i >= end ? -1 : buf.forEachByte(i, end - i, VISIBLE);
        if (space < 0) {
            return true;
        }
        if (buf.getByte(space) != ' ') {
            return false;
        }
        for (int k = 1; space + k < end; k++) {
            if (k >= VERSION.length + 1 || buf.getByte(space + k) != (k < VERSION.length ? VERSION[k] : '\r')) {
                return false;
            }
        }
        return true;
    }

    /** Whether the bytes of an unfinished header line (or of the empty line) can still become one this accepts. */
    private boolean headerLinePrefix(int line, int end) {
        int nameEnd = buf.forEachByte(line, end - line, TOKEN);
        if (nameEnd < 0) {
            return true;
        }
        if (nameEnd == line || buf.getByte(nameEnd) != ':') {
            return nameEnd == line && nameEnd == end - 1 && buf.getByte(nameEnd) == '\r';
        }
        int bad = nameEnd + 1 >= end ? -1 : buf.forEachByte(nameEnd + 1, end - nameEnd - 1, FIELD);
        return bad < 0 || bad == end - 1 && buf.getByte(bad) == '\r';
    }

    /** One header line, {@code from} to the CR at {@code to}. */
    private boolean headerLine(int from, int to) {
        if (count == MAX_HEADERS) {
            return false;
        }
        // The name: tokens up to the colon (a leading space or tab, obsolete line folding, is not a token).
        int nameEnd = buf.forEachByte(from, to - from, TOKEN);
        if (nameEnd <= from || buf.getByte(nameEnd) != ':') {
            return false;
        }
        int valueStart = buf.forEachByte(nameEnd + 1, to - nameEnd - 1, ByteProcessor.FIND_NON_LINEAR_WHITESPACE);
        int valueEnd;
        if (valueStart < 0) {
            valueStart = to; // an empty value
            valueEnd = to;
        } else {
            if (buf.forEachByte(valueStart, to - valueStart, FIELD) >= 0) {
                return false;
            }
            valueEnd = buf.forEachByteDesc(valueStart, to - valueStart, ByteProcessor.FIND_NON_LINEAR_WHITESPACE) + 1;
        }
        if (!special(from, nameEnd, valueStart, valueEnd)) {
            return false;
        }
        int f = count * 4;
        fields[f] = from;
        fields[f + 1] = nameEnd;
        fields[f + 2] = valueStart;
        fields[f + 3] = valueEnd;
        count++;
        return true;
    }

    /** Checks the headers that frame the request or change the connection; false refuses the head. */
    private boolean special(int name, int nameEnd, int value, int valueEnd) {
        if (nameIs(name, nameEnd, "content-length")) {
            if (contentLength >= 0 || valueEnd == value || valueEnd - value > 18) {
                return false; // a second one, empty, or too long to be a sane body
            }
            long n = 0;
            for (int i = value; i < valueEnd; i++) {
                byte b = buf.getByte(i);
                if (b < '0' || b > '9') {
                    return false;
                }
                n = n * 10 + (b - '0');
            }
            contentLength = n;
            return true;
        }
        if (nameIs(name, nameEnd, "transfer-encoding") || nameIs(name, nameEnd, "expect")
                || nameIs(name, nameEnd, "upgrade")) {
            return false;
        }
        if (nameIs(name, nameEnd, "connection")) {
            return connection(value, valueEnd);
        }
        return true;
    }

    private boolean connection(int value, int valueEnd) {
        int i = value;
        while (i < valueEnd) {
            int comma = buf.forEachByte(i, valueEnd - i, b -> b != ',');
            int tokenEnd = comma < 0 ? valueEnd : comma;
            int s = i;
            int e = tokenEnd;
            while (s < e && isOws(buf.getByte(s))) {
                s++;
            }
            while (e > s && isOws(buf.getByte(e - 1))) {
                e--;
            }
            if (nameIs(s, e, "close")) {
                keepAlive = false;
            } else if (!nameIs(s, e, "keep-alive")) {
                return false;
            }
            i = tokenEnd + 1;
        }
        return true;
    }

    private boolean nameIs(int from, int to, CharSequence name) {
        if (to - from != name.length()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            int a = buf.getByte(from + i);
            int b = name.charAt(i);
            if (a != b && lower(a) != lower(b)) {
                return false;
            }
        }
        return true;
    }

    private static int lower(int c) {
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }

    private static boolean isOws(byte b) {
        return b == ' ' || b == '\t';
    }
}
