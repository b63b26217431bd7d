package io.tokentap.core.stream;

import com.sun.management.ThreadMXBean;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;

/**
 * Decoding speed and garbage per event on the real samples, for one thread: not a test (speed targets do not belong
 * in unit tests), a program to run by hand on a quiet machine.
 *
 * <pre>{@code
 * mvn -B -q -pl stream-core test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp "$(cat /tmp/cp.txt):stream-core/target/classes:stream-core/target/test-classes" \
 *     io.tokentap.core.stream.DecoderBenchmark
 * }</pre>
 *
 * Each sample is repeated 50 times in one body (a long stream), fed in 512-byte reads from a direct buffer, and
 * timed in thread CPU time, so that a busy machine distorts the figures less.
 */
public final class DecoderBenchmark {

    private static long events;

    private DecoderBenchmark() {
    }

    public static void main(String[] args) {
        bench(WireFormat.OPENAI_CHAT_SSE, Fixtures.cassetteBody("openai_chat_sse_cassette__envoy-ai-gateway__chat-streaming.yaml"));
        bench(WireFormat.ANTHROPIC_SSE, Fixtures.cassetteBody(
                "anthropic_messages_sse_thinking__pydantic-ai__test_anthropic_model_thinking_part_stream.yaml"));
        bench(WireFormat.OPENAI_RESPONSES_SSE, Fixtures.cassetteBody("openai_responses_api_sse_text__pydantic-ai__"
                + "test_openai_instructions_with_responses_logprobs_streaming.yaml"));
        bench(WireFormat.OLLAMA_NDJSON, Fixtures.resource("ollama_api_generate_stream_ndjson__ollama__docs_api_streaming.mdx.ndjson"));
    }

    private static void bench(WireFormat format, byte[] sample) {
        int repeat = 50;
        ByteBuf body = Unpooled.directBuffer(sample.length * repeat);
        for (int i = 0; i < repeat; i++) {
            body.writeBytes(sample);
        }
        StreamEventSink sink = new StreamEventSink() {
            @Override
            public void content(long nanos, ContentKind kind, int tokens, String text) {
                events++;
            }

            @Override
            public void empty(long nanos) {
                events++;
            }

            @Override
            public void usage(long nanos, Usage usage) {
                events++;
            }

            @Override
            public void error(long nanos, String type, String message) {
                events++;
            }

            @Override
            public void done(long nanos) {
                events++;
            }
        };
        ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        int length = body.readableBytes();
        for (int round = 0; round < 5; round++) {
            events = 0;
            long alloc0 = mx.getCurrentThreadAllocatedBytes();
            long cpu0 = mx.getCurrentThreadCpuTime();
            int streams = 100;
            for (int s = 0; s < streams; s++) {
                StreamDecoder d = format.newDecoder(sink);
                for (int off = 0; off < length; off += 512) {
                    d.feed(body.slice(off, Math.min(512, length - off)), off);
                }
                d.end(length);
            }
            double cpuSeconds = (mx.getCurrentThreadCpuTime() - cpu0) / 1e9;
            long alloc = mx.getCurrentThreadAllocatedBytes() - alloc0;
            if (round == 4) {
                System.out.printf("%-22s %,10.0f events/cpu-s %7.1f MB/cpu-s %6.0f bytes allocated per event%n",
                        format, events / cpuSeconds, (double) length * streams / cpuSeconds / 1e6,
                        (double) alloc / events);
            }
        }
        body.release();
    }
}
