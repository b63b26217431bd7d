package io.tokentap.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpContent;
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
    private static final byte[] EMPTY_CHOICES = "\"choices\":[]".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] USAGE_OBJECT = "\"usage\":{".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] USAGE_NULL = ",\"usage\":null".getBytes(StandardCharsets.US_ASCII);

    private final ByteBufAllocator alloc;
    /** The start of a line whose newline has not arrived yet. */
    private ByteBuf partial;
    private boolean dropBlankLine;
    private boolean passThrough;

    UsageChunkFilter(ByteBufAllocator alloc) {
        this.alloc = alloc;
    }

    /** The part of {@code in} the client gets, as content of the same kind; {@code in} is consumed. */
    HttpContent filter(HttpContent in, boolean last) {
        ByteBuf src = in.content();
        ByteBuf out = alloc.buffer(src.readableBytes() + (partial == null ? 0 : partial.readableBytes()));
        try {
            if (passThrough) {
                out.writeBytes(src);
            } else {
                scan(src, out);
            }
            if (last && partial != null) {
                out.writeBytes(partial); // an unterminated last line goes out as it came
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
                partial.writeBytes(src, src.readerIndex(), len);
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
                out.writeBytes(partial);
                release();
            }
            out.writeBytes(src);
            return;
        }
        if (partial == null) {
            partial = alloc.buffer(Math.max(256, src.readableBytes() * 2));
        }
        partial.writeBytes(src);
    }

    /** One complete line, its newline included, at {@code buf[from, from + len)}. */
    private void line(ByteBuf buf, int from, int len, ByteBuf out) {
        boolean blank = len == 1 || (len == 2 && buf.getByte(from) == '\r');
        if (blank && dropBlankLine) {
            dropBlankLine = false;
            return;
        }
        dropBlankLine = false;
        if (!startsWith(buf, from, len, DATA)) {
            out.writeBytes(buf, from, len);
            return;
        }
        if (indexOf(buf, from, len, EMPTY_CHOICES) >= 0 && indexOf(buf, from, len, USAGE_OBJECT) >= 0) {
            dropBlankLine = true; // the usage-only chunk: the line and the blank line after it go
            return;
        }
        // Inside a JSON string the quotes would be escaped, so this sequence is always the field itself.
        int at = indexOf(buf, from, len, USAGE_NULL);
        if (at < 0) {
            out.writeBytes(buf, from, len);
        } else {
            out.writeBytes(buf, from, at - from);
            out.writeBytes(buf, at + USAGE_NULL.length, from + len - at - USAGE_NULL.length);
        }
    }

    void release() {
        if (partial != null) {
            partial.release();
            partial = null;
        }
    }

    private static boolean startsWith(ByteBuf buf, int from, int len, byte[] prefix) {
        if (len < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buf.getByte(from + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(ByteBuf buf, int from, int len, byte[] needle) {
        int end = from + len - needle.length;
        outer:
        for (int i = from; i <= end; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buf.getByte(i + j) != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
