package io.tokentap.core.stream.internal;

import io.netty.buffer.ByteBuf;
import io.tokentap.core.stream.StreamDecoder;

/** For a body of unknown format: reports nothing (the caller keeps byte-level timing). */
final class NoopDecoder implements StreamDecoder {

    static final NoopDecoder INSTANCE = new NoopDecoder();

    private NoopDecoder() {
    }

    @Override
    public void feed(ByteBuf buf, long nanos) {
    }

    @Override
    public void end(long nanos) {
    }

    @Override
    public long malformedCount() {
        return 0;
    }
}
