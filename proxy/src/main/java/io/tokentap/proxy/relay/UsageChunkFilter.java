package io.tokentap.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpContent;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;

/**
 * Takes out of an OpenAI SSE stream what the proxy's own {@code stream_options.include_usage} added: the usage-only
 * chunk ({@code "choices":[]} with {@code "usage"}) with the blank line that ends its event, and the
 * {@code ,"usage":null} field every other chunk then carries. The timing tap still sees the upstream's bytes, usage
 * included; only what goes to the client is filtered.
 *
 * <p>It works on whole lines: a line split across reads is held until its newline arrives, which delays nothing a
 * client could use (an SSE event is not complete before its line is). What it holds is bounded: a line longer than
 * {@link #MAX_LINE_BYTES} turns the filter off for the rest of the stream and everything passes as it is. One per
 * response, on the event loop; {@link #release()} frees what it holds.
 */
final class UsageChunkFilter {

    static final int MAX_LINE_BYTES = 64 * 1024;
    private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);
    private static final Needle EMPTY_CHOICES = new Needle("\"choices\":[]");
    private static final Needle USAGE_KEY = new Needle("\"usage\":");
    private static final Needle USAGE_OBJECT = new Needle("\"usage\":{");
    private static final Needle USAGE_NULL = new Needle(",\"usage\":null");

    private static final int KEEP = -1;
    private static final int DROP = -2;

    /**
     * The line being looked at, copied: the thread's own, shared by every stream its event loop filters ({@link #action}
     * is done with it before it returns); grows to the longest {@code data:} line seen (at most MAX_LINE_BYTES). One
     * array per stream cost 512 bytes per response, and a cold array to copy into on each event.
     */
    private static final FastThreadLocal<byte[]> LINE = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[512];
        }
    };

    private final ByteBufAllocator alloc;
    /** The start of a line whose newline has not arrived yet. */
    private ByteBuf partial;
    private boolean dropBlankLine;
    private boolean passThrough;

    UsageChunkFilter(ByteBufAllocator alloc) {
        this.alloc = alloc;
    }

    /**
     * The part of {@code in} the client gets, as content of the same kind. The filter takes {@code in} over: a read
     * with nothing to take out, the usual case, is returned as it is (no copy); otherwise {@code in} is released and
     * a filtered copy returned.
     */
    HttpContent filter(HttpContent in, boolean last) {
        ByteBuf src = in.content();
        if (passes(src, src.readerIndex(), src.writerIndex())) {
            return in;
        }
        ByteBuf out = alloc.buffer(src.readableBytes() + (partial == null ? 0 : partial.readableBytes()));
        try {
            if (passThrough) {
                BufferCopy.appendReadable(out, src);
            } else {
                scan(src, out);
            }
            if (last && partial != null) {
                BufferCopy.appendReadable(out, partial); // an unterminated last line goes out as it came
                release();
            }
            return in.replace(out);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        } finally {
            in.release();
        }
    }

    /**
     * Whether {@code src[from, to)}, the next bytes of the body, go to the client as they are; if so the filter has
     * moved past them (as {@link #filter} would have), else it has not moved and they must come through
     * {@link #filter}.
     */
    boolean passes(ByteBuf src, int from, int to) {
        return partial == null && (passThrough || unchanged(src, from, to));
    }

    /**
     * Whether {@code src[from, to)}, taken when no line is held, is whole lines that all pass as they are; if so the
     * state moves on as {@link #scan} would have moved it. When it is not, {@link #scan} starts over: the lines up to
     * the first one to change are looked at twice (one line in every read of a server that sends
     * {@code "usage":null} on every chunk, as OpenAI does).
     */
    private boolean unchanged(ByteBuf src, int from, int to) {
        int end = to;
        int at = from;
        boolean drop = dropBlankLine;
        while (at < end) {
            int nl = src.indexOf(at, end, (byte) '\n');
            if (nl < 0) {
                return false; // a line to hold
            }
            int len = nl + 1 - at;
            boolean blank = len == 1 || (len == 2 && src.getByte(at) == '\r');
            if (blank && drop) {
                return false;
            }
            drop = false;
            if (len >= DATA.length && startsWith(src, at, DATA) && action(src, at, len) != KEEP) {
                return false;
            }
            at = nl + 1;
        }
        dropBlankLine = drop;
        return true;
    }

    private void scan(ByteBuf src, ByteBuf out) {
        while (src.isReadable()) {
            int nl = src.indexOf(src.readerIndex(), src.writerIndex(), (byte) '\n');
            if (nl < 0) {
                hold(src, out);
                return;
            }
            int len = nl + 1 - src.readerIndex();
            if (partial == null) {
                line(src, src.readerIndex(), len, out);
            } else {
                BufferCopy.append(partial, src, src.readerIndex(), len);
                line(partial, partial.readerIndex(), partial.readableBytes(), out);
                release();
            }
            src.skipBytes(len);
        }
    }

    private void hold(ByteBuf src, ByteBuf out) {
        int held = partial == null ? 0 : partial.readableBytes();
        if (held + src.readableBytes() > MAX_LINE_BYTES) {
            // Not a line an OpenAI server sends: stop filtering rather than hold more.
            passThrough = true;
            if (partial != null) {
                BufferCopy.appendReadable(out, partial);
                release();
            }
            BufferCopy.appendReadable(out, src);
            return;
        }
        if (partial == null) {
            partial = alloc.buffer(Math.max(256, src.readableBytes() * 2));
        }
        BufferCopy.appendReadable(partial, src);
    }

    /** One complete line, its newline included, at {@code buf[from, from + len)}. */
    private void line(ByteBuf buf, int from, int len, ByteBuf out) {
        boolean blank = len == 1 || (len == 2 && buf.getByte(from) == '\r');
        if (blank && dropBlankLine) {
            dropBlankLine = false;
            return;
        }
        dropBlankLine = false;
        int action = len >= DATA.length && startsWith(buf, from, DATA) ? action(buf, from, len) : KEEP;
        if (action == KEEP) {
            BufferCopy.append(out, buf, from, len);
        } else if (action == DROP) {
            dropBlankLine = true; // the usage-only chunk: the line and the blank line after it go
        } else {
            BufferCopy.append(out, buf, from, action);
            BufferCopy.append(out, buf, from + action + USAGE_NULL.length(), len - action - USAGE_NULL.length());
        }
    }

    /**
     * What becomes of a {@code data:} line: {@link #KEEP}, {@link #DROP} (the usage-only chunk), or the offset in the
     * line of a {@code ,"usage":null} to cut out. The line is scanned as a copy in a reused array, not byte by byte
     * through the buffer. A line over {@link #MAX_LINE_BYTES} is kept as it is (no usage chunk is that long).
     */
    private int action(ByteBuf buf, int from, int len) {
        if (len > MAX_LINE_BYTES) {
            return KEEP;
        }
        byte[] line = LINE.get();
        if (line.length < len) {
            line = new byte[Math.max(len, 2 * line.length)];
            LINE.set(line);
        }
        buf.getBytes(from, line, 0, len);
        if (USAGE_KEY.in(line, len) < 0) {
            return KEEP; // the usual chunk, looked at once: both changes below need the field
        }
        if (EMPTY_CHOICES.in(line, len) >= 0 && USAGE_OBJECT.in(line, len) >= 0) {
            return DROP;
        }
        // Inside a JSON string the quotes would be escaped, so this sequence is always the field itself.
        int at = USAGE_NULL.in(line, len);
        return at < 0 ? KEEP : at;
    }

    void release() {
        if (partial != null) {
            partial.release();
            partial = null;
        }
    }

    private static boolean startsWith(ByteBuf buf, int from, byte[] prefix) {
        for (int i = 0; i < prefix.length; i++) {
            if (buf.getByte(from + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** A byte sequence to look for, with its skip table. */
    private record Needle(byte[] bytes, int[] skip) {
        Needle(String ascii) {
            this(ascii.getBytes(StandardCharsets.US_ASCII));
        }

        private Needle(byte[] bytes) {
            this(bytes, skipTable(bytes));
        }

        /** Where it first occurs in {@code a[0, len)}, or -1. */
        int in(byte[] a, int len) {
            return skipSearch(a, len, bytes, skip);
        }

        int length() {
            return bytes.length;
        }
    }

    /**
     * Where {@code needle} first occurs in {@code a[0, len)}, or -1: Horspool's search, which moves by up to the
     * needle's length at each look, and finds the first occurrence as a byte-by-byte search would. Every data line
     * is searched for the usage field, and most have none.
     */
    static int skipSearch(byte[] a, int len, byte[] needle, int[] skip) {
        int last = needle.length - 1;
        int at = 0;
        while (at + last < len) {
            int i = last;
            while (a[at + i] == needle[i]) {
                if (i == 0) {
                    return at;
                }
                i--;
            }
            at += skip[a[at + last] & 0xFF];
        }
        return -1;
    }

    static int[] skipTable(byte[] needle) {
        int[] skip = new int[256];
        java.util.Arrays.fill(skip, needle.length);
        for (int i = 0; i < needle.length - 1; i++) {
            skip[needle[i] & 0xFF] = needle.length - 1 - i;
        }
        return skip;
    }
}
