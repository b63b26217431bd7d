package io.tokentap.proxy.relay;

import io.tokentap.core.stream.StreamDecoder;
import io.tokentap.core.stream.StreamEventSink;

/**
 * Chooses the decoder that watches one response on its way to the client. The relay feeds it each upstream read
 * after the read has been written to the client; the decoder reports events to the request's timeline.
 */
@FunctionalInterface
public interface TimingTap {

    /** Byte-level timing only: no decoder. */
    TimingTap BYTES_ONLY = (path, contentType, sink) -> new Decoding("UNKNOWN", null);

    /**
     * @param requestPath the request's path (no query)
     * @param contentType the response's Content-Type, or {@code null}
     * @param sink        where events go (the request's timeline)
     */
    Decoding open(String requestPath, String contentType, StreamEventSink sink);

    /** The detected wire format's name and its decoder ({@code null}: byte-level timing only). */
    record Decoding(String format, StreamDecoder decoder) { }
}
