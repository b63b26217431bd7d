package io.tokentap.core.stream.internal;

import io.netty.buffer.ByteBuf;
import io.tokentap.core.stream.StreamDecoder;

/** Decodes a newline-delimited JSON body (one object per line; blank lines ignored), such as Ollama's. */
final class NdjsonDecoder implements StreamDecoder {

    private final LineHandler handler;
    private final LineSplitter lines;
    private long malformed;

    NdjsonDecoder(LineHandler handler, int maxLineBytes) {
        this.handler = handler;
        this.lines = new LineSplitter(maxLineBytes, this::line);
    }

    @Override
    public void feed(ByteBuf buf, long nanos) {
        lines.feed(buf, nanos);
    }

    @Override
    public void end(long nanos) {
        lines.finish(nanos);
    }

    @Override
    public long malformedCount() {
        return malformed + lines.oversizedLines();
    }

    private void line(byte[] line, int len, long nanos) {
        if (Json.isBlank(line, len)) {
            return;
        }
        if (!handler.onLine(line, len, nanos)) {
            malformed++;
        }
    }
}
