package io.tokentap.core.stream.internal;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;

/**
 * Cuts a byte stream fed in arbitrary slices into lines, as the WHATWG event-stream grammar defines them: a line
 * ends at LF, CRLF or a lone CR, and a CRLF split across two slices is still one line end. Bytes are copied into
 * one reused array, so a UTF-8 character split across reads is whole again when the line is handed on.
 *
 * <p>Memory is bounded: a line longer than {@code maxLineBytes} is dropped (counted in {@link #oversizedLines()})
 * and its bytes are discarded as they arrive, and an array grown for a long line is given back after it.
 */
final class LineSplitter {

    /** Receives each complete line, without its terminator, in {@code line[0, len)}. Valid only during the call. */
    interface LineSink {
        void line(byte[] line, int len, long nanos);
    }

    private static final int INITIAL_CAPACITY = 512;
    // A buffer grown past this for one long line is dropped afterwards, so an idle stream holds little.
    private static final int RETAIN_CAPACITY = 64 * 1024;

    private final int maxLineBytes;
    private final LineSink sink;
    private byte[] line = new byte[INITIAL_CAPACITY];
    private int len;
    private boolean skipping;
    private boolean afterCr;
    private long oversizedLines;

    LineSplitter(int maxLineBytes, LineSink sink) {
        if (maxLineBytes <= 0) {
            throw new IllegalArgumentException("maxLineBytes: " + maxLineBytes + " (expected: > 0)");
        }
        this.maxLineBytes = maxLineBytes;
        this.sink = sink;
    }

    void feed(ByteBuf buf, long nanos) {
        int i = buf.readerIndex();
        int end = buf.writerIndex();
        if (afterCr && i < end) {
            // The previous slice ended in CR: an LF right here belongs to that line end.
            if (buf.getByte(i) == '\n') {
                i++;
            }
            afterCr = false;
        }
        while (i < end) {
            int eol = buf.forEachByte(i, end - i, ByteProcessor.FIND_CRLF);
            if (eol < 0) {
                append(buf, i, end - i);
                return;
            }
            append(buf, i, eol - i);
            emit(nanos);
            i = eol + 1;
            if (buf.getByte(eol) == '\r') {
                if (i < end) {
                    if (buf.getByte(i) == '\n') {
                        i++;
                    }
                } else {
                    afterCr = true;
                }
            }
        }
    }

    /** The stream ended: a last line without a terminator is handed on now. */
    void finish(long nanos) {
        if (len > 0 || skipping) {
            emit(nanos);
        }
        afterCr = false;
    }

    long oversizedLines() {
        return oversizedLines;
    }

    private void append(ByteBuf buf, int index, int n) {
        if (n == 0 || skipping) {
            return;
        }
        if (n > maxLineBytes - len) {
            skipping = true;
            len = 0;
            shrink();
            return;
        }
        int need = len + n;
        if (need > line.length) {
            int cap = line.length;
            while (cap < need) {
                cap = cap > (Integer.MAX_VALUE >> 1) ? Integer.MAX_VALUE : cap << 1;
            }
            byte[] grown = new byte[Math.min(cap, maxLineBytes)];
            System.arraycopy(line, 0, grown, 0, len);
            line = grown;
        }
        buf.getBytes(index, line, len, n);
        len = need;
    }

    private void emit(long nanos) {
        if (skipping) {
            skipping = false;
            oversizedLines++;
        } else {
            sink.line(line, len, nanos);
        }
        len = 0;
        shrink();
    }

    private void shrink() {
        if (line.length > RETAIN_CAPACITY) {
            line = new byte[INITIAL_CAPACITY];
        }
    }
}
