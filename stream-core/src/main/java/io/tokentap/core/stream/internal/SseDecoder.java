package io.tokentap.core.stream.internal;

import io.netty.buffer.ByteBuf;
import io.tokentap.core.stream.StreamDecoder;

/**
 * Decodes a {@code text/event-stream} body as the WHATWG HTML standard's event-stream interpretation describes it
 * (section 9.2.6): lines end in LF, CRLF or CR; a line starting with {@code :} is a comment; {@code field: value}
 * with at most one space after the colon removed; several {@code data:} lines of one event are joined with LF; a
 * blank line dispatches the event, and an event without data is not dispatched. The API-specific meaning of each
 * event is left to an {@link SseEventHandler}.
 *
 * <p>Departures from the standard, for measuring rather than rendering: an event still pending when the body ends
 * is dispatched (a server that drops the connection after its last {@code data:} line still reports its usage),
 * and a line with an unknown field name is counted as malformed (the standard ignores it silently).
 */
final class SseDecoder implements StreamDecoder {

    private static final byte[] DATA = {'d', 'a', 't', 'a'};
    private static final byte[] EVENT = {'e', 'v', 'e', 'n', 't'};
    private static final byte[] ID = {'i', 'd'};
    private static final byte[] RETRY = {'r', 'e', 't', 'r', 'y'};

    private static final int INITIAL_CAPACITY = 512;
    private static final int RETAIN_CAPACITY = 64 * 1024;

    private final SseEventHandler handler;
    private final EventTypes eventTypes;
    private final LineSplitter lines;
    private final int maxEventBytes;

    private byte[] data = new byte[INITIAL_CAPACITY];
    private int dataLen;
    private boolean hasData;
    private boolean dataOverflow;
    private int eventType = EventTypes.NONE;
    private long malformed;

    SseDecoder(SseEventHandler handler, int maxLineBytes) {
        this.handler = handler;
        this.eventTypes = handler.eventTypes();
        // One data line of the maximum length, plus its LF separator, still fits.
        this.maxEventBytes = maxLineBytes == Integer.MAX_VALUE ? maxLineBytes : maxLineBytes + 1;
        this.lines = new LineSplitter(maxLineBytes, this::line);
    }

    @Override
    public void feed(ByteBuf buf, long nanos) {
        lines.feed(buf, nanos);
    }

    @Override
    public void end(long nanos) {
        lines.finish(nanos);
        dispatch(nanos);
    }

    @Override
    public long malformedCount() {
        return malformed + lines.oversizedLines();
    }

    private void line(byte[] line, int len, long nanos) {
        if (len == 0) {
            dispatch(nanos);
            return;
        }
        if (line[0] == ':') {
            return; // comment, often a keep-alive
        }
        int colon = indexOf(line, len, (byte) ':');
        int nameLen = colon < 0 ? len : colon;
        int valueOff = colon < 0 ? len : colon + 1;
        if (valueOff < len && line[valueOff] == ' ') {
            valueOff++;
        }
        int valueLen = len - valueOff;
        if (same(line, nameLen, DATA)) {
            appendData(line, valueOff, valueLen);
        } else if (same(line, nameLen, EVENT)) {
            eventType = valueLen == 0 ? EventTypes.NONE : eventTypes.match(line, valueOff, valueLen);
        } else if (!same(line, nameLen, ID) && !same(line, nameLen, RETRY)) {
            malformed++;
        }
    }

    private void appendData(byte[] line, int off, int n) {
        hasData = true;
        if (dataOverflow) {
            return;
        }
        // Each data line is followed by LF; the last one is removed at dispatch.
        if (dataLen + n + 1 > maxEventBytes) {
            dataOverflow = true;
            dataLen = 0;
            shrink();
            return;
        }
        int need = dataLen + n + 1;
        if (need > data.length) {
            byte[] grown = new byte[Math.min(Math.max(need, data.length * 2), maxEventBytes)];
            System.arraycopy(data, 0, grown, 0, dataLen);
            data = grown;
        }
        System.arraycopy(line, off, data, dataLen, n);
        dataLen += n;
        data[dataLen++] = '\n';
    }

    private void dispatch(long nanos) {
        if (hasData) {
            if (dataOverflow) {
                malformed++;
            } else if (!handler.onEvent(eventType, data, dataLen - 1, nanos)) {
                malformed++;
            }
        }
        hasData = false;
        dataOverflow = false;
        dataLen = 0;
        eventType = EventTypes.NONE;
        shrink();
    }

    private void shrink() {
        if (data.length > RETAIN_CAPACITY) {
            data = new byte[INITIAL_CAPACITY];
        }
    }

    private static int indexOf(byte[] b, int len, byte c) {
        for (int i = 0; i < len; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static boolean same(byte[] line, int len, byte[] name) {
        if (len != name.length) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if (line[i] != name[i]) {
                return false;
            }
        }
        return true;
    }
}
