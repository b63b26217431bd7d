package io.tokentap.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * HTTP/1.1 chunked framing of one relayed read in a single buffer: {@code <size in hex>\r\n<bytes>\r\n}. Netty's
 * encoder frames a chunk as three buffers (size line, the content, the closing CRLF), which costs three outbound
 * entries and a three-part {@code writev} per streamed event; one small copy into one buffer is cheaper. Only
 * non-empty chunks are framed here: the empty last chunk that ends a body stays the encoder's.
 */
final class ChunkFraming {

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private ChunkFraming() {
    }

    /** The framed chunk of {@code content}'s readable bytes, which must be at least one; {@code content} is left as is. */
    static ByteBuf frame(ByteBufAllocator alloc, ByteBuf content) {
        int n = content.readableBytes();
        if (n <= 0) {
            throw new IllegalArgumentException("an empty chunk would end the body");
        }
        int digits = (Integer.SIZE - Integer.numberOfLeadingZeros(n) + 3) / 4;
        ByteBuf out = alloc.directBuffer(digits + 2 + n + 2);
        for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
            out.writeByte(HEX[(n >>> shift) & 0xF]);
        }
        out.writeByte('\r').writeByte('\n');
        BufferCopy.append(out, content, content.readerIndex(), n);
        out.writeByte('\r').writeByte('\n');
        return out;
    }
}
