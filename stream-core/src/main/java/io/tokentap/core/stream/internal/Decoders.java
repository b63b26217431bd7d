package io.tokentap.core.stream.internal;

import io.tokentap.core.stream.StreamDecoder;
import io.tokentap.core.stream.StreamEventSink;

/** Builds the decoder of each wire format; used by {@link io.tokentap.core.stream.WireFormat}. */
public final class Decoders {

    private Decoders() {
    }

    /** OpenAI chat.completions or completions SSE, and every server that speaks them (vLLM, SGLang, ...). */
    public static StreamDecoder openAiSse(StreamEventSink sink, int maxLineBytes) {
        return new SseDecoder(new OpenAiChunkHandler(sink), maxLineBytes);
    }

    /** TGI's {@code /generate_stream} (also reads TGI's OpenAI-compatible chunks). */
    public static StreamDecoder tgiSse(StreamEventSink sink, int maxLineBytes) {
        return new SseDecoder(new OpenAiChunkHandler(sink), maxLineBytes);
    }

    public static StreamDecoder responsesSse(StreamEventSink sink, int maxLineBytes) {
        return new SseDecoder(new ResponsesEventHandler(sink), maxLineBytes);
    }

    public static StreamDecoder anthropicSse(StreamEventSink sink, int maxLineBytes) {
        return new SseDecoder(new AnthropicEventHandler(sink), maxLineBytes);
    }

    public static StreamDecoder ollamaNdjson(StreamEventSink sink, int maxLineBytes) {
        return new NdjsonDecoder(new OllamaChunkHandler(sink), maxLineBytes);
    }

    /** Reports nothing: for a body of unknown format the caller keeps byte-level timing only. */
    public static StreamDecoder none() {
        return NoopDecoder.INSTANCE;
    }

    public static StreamDecoder jsonBody(StreamEventSink sink, int maxBodyBytes) {
        return new JsonBodyDecoder(sink, maxBodyBytes);
    }
}
