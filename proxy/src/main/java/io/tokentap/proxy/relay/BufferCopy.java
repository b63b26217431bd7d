package io.tokentap.proxy.relay;

import io.netty.buffer.ByteBuf;

/**
 * Copies between buffers the way that allocates nothing. {@code out.writeBytes(src, ...)} into a buffer of Netty's
 * adaptive allocator goes through two NIO {@code ByteBuffer} views made for the copy (about 64 bytes of garbage per
 * copy, per relayed event); {@code src.getBytes(..., out, ...)} from a direct buffer copies memory to memory when
 * both have an address, and falls back to the same copy as {@code writeBytes} when they do not.
 */
final class BufferCopy {

    private BufferCopy() {
    }

    /** Appends {@code src[index, index + length)} to {@code out}, as {@code out.writeBytes(src, index, length)}. */
    static void append(ByteBuf out, ByteBuf src, int index, int length) {
        out.ensureWritable(length);
        int at = out.writerIndex();
        src.getBytes(index, out, at, length);
        out.writerIndex(at + length);
    }

    /** Appends what {@code src} has readable and marks it read, as {@code out.writeBytes(src)}. */
    static void appendReadable(ByteBuf out, ByteBuf src) {
        int n = src.readableBytes();
        append(out, src, src.readerIndex(), n);
        src.skipBytes(n);
    }
}
