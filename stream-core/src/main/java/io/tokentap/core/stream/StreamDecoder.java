package io.tokentap.core.stream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * An incremental decoder of one response body. It is fed the body in arbitrary slices, which may split a line,
 * a CRLF or a UTF-8 character anywhere, and reports what it finds to a {@link StreamEventSink}.
 *
 * <p>A decoder is stateful and belongs to one response; it is not thread-safe. It never throws on malformed
 * input: a line it cannot parse is counted in {@link #malformedCount()} and skipped.
 *
 * <pre>{@code
 * StreamDecoder d = WireFormat.OPENAI_CHAT_SSE.newDecoder(timeline);
 * d.feed(buf, System.nanoTime());   // per read; does not change buf's reader index
 * d.end(System.nanoTime());         // when the body ends
 * }</pre>
 */
public interface StreamDecoder {

    /** Decodes the readable bytes of {@code buf} without changing its indices or reference count. */
    void feed(ByteBuf buf, long nanos);

    /** Decodes {@code len} bytes of {@code bytes} from {@code offset}. */
    default void feed(byte[] bytes, int offset, int len, long nanos) {
        feed(Unpooled.wrappedBuffer(bytes, offset, len), nanos);
    }

    /** The body has ended; a final line without a newline is decoded now. */
    void end(long nanos);

    /** How many lines or objects could not be parsed and were skipped. */
    long malformedCount();
}
