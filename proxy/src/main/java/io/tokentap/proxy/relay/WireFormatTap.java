package io.tokentap.proxy.relay;

import io.tokentap.core.stream.StreamEventSink;

/** The timing tap that picks a decoder by the request path and the response's content type. */
final class WireFormatTap implements TimingTap {

    static final WireFormatTap INSTANCE = new WireFormatTap();

    @Override
    public Decoding open(String requestPath, String contentType, StreamEventSink sink) {
        return new Decoding("UNKNOWN", null);
    }
}
