package io.tokentap.bench.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.StreamDecoder;
import io.tokentap.core.stream.StreamEventSink;
import io.tokentap.core.stream.Usage;
import io.tokentap.core.stream.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Decoded events per second on one thread, per wire format: one streamed event per {@link StreamDecoder#feed} call
 * (each token is its own read on a streaming response), from a pooled-like direct buffer as the relay sees it. The
 * event bodies are shaped like the servers' own (vLLM's chat chunk, Anthropic's {@code content_block_delta}, ...).
 * The decoder reports to a sink that does what the proxy's timeline does with it: nothing that allocates.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DecoderBench {

    @Param({"OPENAI_CHAT_SSE", "OPENAI_COMPLETIONS_SSE", "OPENAI_RESPONSES_SSE", "ANTHROPIC_SSE", "TGI_SSE",
            "OLLAMA_NDJSON"})
    public String format;

    private StreamDecoder decoder;
    private ByteBuf event;
    private CountingSink sink;
    private long nanos;

    @Setup(Level.Trial)
    public void setUp() {
        WireFormat f = WireFormat.valueOf(format);
        sink = new CountingSink();
        decoder = f.newDecoder(sink);
        String prologue = prologue(f);
        if (!prologue.isEmpty()) {
            decoder.feed(Unpooled.copiedBuffer(prologue, StandardCharsets.UTF_8), 0);
        }
        byte[] bytes = event(f).getBytes(StandardCharsets.UTF_8);
        event = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
        long before = sink.content;
        decoder.feed(event, 1);
        if (sink.content != before + 1 || decoder.malformedCount() != 0) {
            throw new IllegalStateException(format + ": the sample event did not decode to one content event");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        event.release();
    }

    @Benchmark
    public long feedOneEvent(Blackhole bh) {
        decoder.feed(event, ++nanos);
        return sink.content;
    }

    /** What the stream opens with, so that the measured events are mid-stream deltas. */
    static String prologue(WireFormat f) {
        return switch (f) {
            case ANTHROPIC_SSE -> "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\","
                    + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4\",\"content\":[],"
                    + "\"stop_reason\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"
                    + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
                    + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
            case OPENAI_RESPONSES_SSE -> "event: response.created\ndata: {\"type\":\"response.created\","
                    + "\"sequence_number\":0,\"response\":{\"id\":\"resp_67c\",\"object\":\"response\","
                    + "\"status\":\"in_progress\",\"model\":\"gpt-4.1\",\"output\":[]}}\n\n";
            default -> "";
        };
    }

    /** One mid-stream content event, as the server writes it. */
    static String event(WireFormat f) {
        return switch (f) {
            case OPENAI_CHAT_SSE -> "data: {\"id\":\"chatcmpl-8f1c2d\",\"object\":\"chat.completion.chunk\","
                    + "\"created\":1741373593,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{\"index\":0,"
                    + "\"delta\":{\"content\":\" streaming\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
            case OPENAI_COMPLETIONS_SSE -> "data: {\"id\":\"cmpl-8f1c2d\",\"object\":\"text_completion\","
                    + "\"created\":1741373593,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{\"index\":0,"
                    + "\"text\":\" streaming\",\"logprobs\":null,\"finish_reason\":null}]}\n\n";
            case OPENAI_RESPONSES_SSE -> "event: response.output_text.delta\ndata: {\"type\":"
                    + "\"response.output_text.delta\",\"sequence_number\":12,\"item_id\":\"msg_67c\","
                    + "\"output_index\":0,\"content_index\":0,\"delta\":\" streaming\"}\n\n";
            case ANTHROPIC_SSE -> "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                    + "\"delta\":{\"type\":\"text_delta\",\"text\":\" streaming\"}}\n\n";
            case TGI_SSE -> "data:{\"index\":12,\"token\":{\"id\":9906,\"text\":\" streaming\",\"logprob\":-0.1,"
                    + "\"special\":false},\"generated_text\":null,\"details\":null}\n\n";
            case OLLAMA_NDJSON -> "{\"model\":\"gemma3\",\"created_at\":\"2025-10-26T17:15:24.097767Z\","
                    + "\"response\":\" streaming\",\"done\":false}\n";
            default -> throw new IllegalArgumentException(f.name());
        };
    }

    /** Counts what the decoder reports, like a timeline's running sums. */
    static final class CountingSink implements StreamEventSink {
        long content;
        long tokens;
        long last;

        @Override
        public void content(long nanos, ContentKind kind, int tokens, String text) {
            content++;
            this.tokens += Math.max(1, tokens);
            last = nanos;
        }

        @Override
        public void empty(long nanos) {
            last = nanos;
        }

        @Override
        public void usage(long nanos, Usage usage) {
            last = nanos;
        }

        @Override
        public void error(long nanos, String type, String message) {
            last = nanos;
        }

        @Override
        public void done(long nanos) {
            last = nanos;
        }
    }
}
