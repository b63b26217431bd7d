package io.tokentap.proxy.relay;

import io.tokentap.core.stream.StreamEventSink;
import io.tokentap.core.stream.WireFormat;

/**
 * The timing tap that picks a decoder with {@link WireFormat#detect} from the request path and the response's
 * content type. An unknown format gets no decoder: the request keeps byte-level timing (TTFB, E2E) only.
 */
public final class WireFormatTap implements TimingTap {

    private final int maxBytes;

    /**
     * @param maxBytes the longest line, or largest JSON body, decoded; see
     *                 {@link WireFormat#newDecoder(StreamEventSink, int)}
     */
    public WireFormatTap(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    @Override
    public Decoding open(String requestPath, String contentType, StreamEventSink sink) {
        WireFormat f = WireFormat.detect(requestPath, contentType);
        return new Decoding(f.name(), f == WireFormat.UNKNOWN ? null : f.newDecoder(sink, maxBytes));
    }
}
