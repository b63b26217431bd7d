package io.tokentap.proxy.capture;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/**
 * The request body of a sampled request, copied as it passes (the relay forwards the original buffers unchanged).
 * Bounded: past {@code maxBytes} the copy is abandoned and the record keeps metadata only. Lives on one event loop.
 */
public final class CaptureBody {

    private final int maxBytes;
    private byte[] bytes = new byte[0];
    private int length;
    private boolean overflow;

    public CaptureBody(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Copies the readable bytes of {@code part} without moving its reader index. */
    public void append(ByteBuf part) {
        int n = part.readableBytes();
        if (overflow || n == 0) {
            return;
        }
        if ((long) length + n > maxBytes) {
            overflow = true;
            bytes = null;
            return;
        }
        if (length + n > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.min(maxBytes, Math.max(length + n, Math.max(256, bytes.length * 2))));
        }
        part.getBytes(part.readerIndex(), bytes, length, n);
        length += n;
    }

    /** The body, or null when it was larger than the bound or empty. */
    public byte[] bytes() {
        return overflow || length == 0 ? null : Arrays.copyOf(bytes, length);
    }
}
