package io.tokentap.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.tokentap.testing.ByteMutations;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A seeded mutation fuzzer for every stream decoder, bounded in time so it runs in CI: real captured streams (and a
 * few synthetic ones) are mutated (bytes flipped, inserted, deleted, duplicated, truncated; CR/LF, quotes, braces and
 * multi-byte UTF-8 spliced in) and fed in random splits through pooled direct buffers. No exception may escape, the
 * decoder may not touch the caller's buffer (indices, reference count), and the leak detector (paranoid in tests)
 * fails the run on a leaked buffer. A failure prints the seed that reproduces it.
 */
@Timeout(60)
class DecoderFuzzTest {

    private static final long BUDGET_NANOS = Long.getLong("tokentap.fuzz.seconds", 4) * 1_000_000_000L;
    private static final byte[][] SPLICES = {"\n".getBytes(StandardCharsets.UTF_8), "\r\n".getBytes(StandardCharsets.UTF_8),
        "\n\n".getBytes(StandardCharsets.UTF_8), "data: ".getBytes(StandardCharsets.UTF_8),
        "data:[DONE]\n\n".getBytes(StandardCharsets.UTF_8), "{\"".getBytes(StandardCharsets.UTF_8),
        "}".getBytes(StandardCharsets.UTF_8), "\"".getBytes(StandardCharsets.UTF_8), "\\".getBytes(StandardCharsets.UTF_8),
        "\u00e9\u2713\ud83d\ude00".getBytes(StandardCharsets.UTF_8), "event: error\n".getBytes(StandardCharsets.UTF_8),
        ":".getBytes(StandardCharsets.UTF_8), "\"usage\":{\"prompt_tokens\":-1}".getBytes(StandardCharsets.UTF_8),
        "null".getBytes(StandardCharsets.UTF_8), "9999999999999999999999".getBytes(StandardCharsets.UTF_8)};

    private static List<byte[]> corpus() {
        List<byte[]> c = new ArrayList<>();
        c.add(Fixtures.cassetteBody("openai_chat_sse_cassette__envoy-ai-gateway__chat-streaming.yaml"));
        c.add(Fixtures.cassetteBody(
                "anthropic_messages_sse_thinking__pydantic-ai__test_anthropic_model_thinking_part_stream.yaml"));
        c.add(Fixtures.cassetteBody("openai_responses_api_sse_text__pydantic-ai__"
                + "test_openai_instructions_with_responses_logprobs_streaming.yaml"));
        c.add(Fixtures.resource("ollama_api_generate_stream_ndjson__ollama__docs_api_streaming.mdx.ndjson"));
        c.add(("data:{\"token\":{\"id\":1,\"text\":\"hi\",\"special\":false},\"generated_text\":null}\n\n"
                + "data:{\"token\":{\"id\":2,\"text\":\"!\",\"special\":false},\"generated_text\":\"hi!\","
                + "\"details\":{\"generated_tokens\":2}}\n\n").getBytes(StandardCharsets.UTF_8));
        c.add("{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"hi\"}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}"
                .getBytes(StandardCharsets.UTF_8));
        return c;
    }

    static byte[] mutate(byte[] in, Random r) {
        byte[] b = in;
        int ops = 1 + r.nextInt(8);
        for (int i = 0; i < ops; i++) {
            int at = b.length == 0 ? 0 : r.nextInt(b.length);
            switch (r.nextInt(6)) {
                case 0 -> { // flip a byte
                    if (b.length > 0) {
                        b = b.clone();
                        b[at] = (byte) r.nextInt(256);
                    }
                }
                case 1 -> b = ByteMutations.splice(b, at, SPLICES[r.nextInt(SPLICES.length)]);
                case 2 -> b = ByteMutations.deleteRun(b, at, r.nextInt(64));
                case 3 -> b = ByteMutations.duplicateRun(b, at, r.nextInt(256));
                case 4 -> b = ByteMutations.truncate(b, at);
                default -> { // random bytes
                    byte[] junk = new byte[r.nextInt(32)];
                    r.nextBytes(junk);
                    b = ByteMutations.splice(b, at, junk);
                }
            }
        }
        return b;
    }

    @Test
    void noMutatedStreamMakesADecoderThrowOrTouchItsInput() {
        List<byte[]> corpus = corpus();
        List<WireFormat> formats = new ArrayList<>(List.of(WireFormat.values()));
        long seed = Long.getLong("tokentap.fuzz.seed", System.nanoTime());
        Random master = new Random(seed);
        long deadline = System.nanoTime() + BUDGET_NANOS;
        long runs = 0;
        while (System.nanoTime() < deadline || runs < 500) {
            long caseSeed = master.nextLong();
            Random r = new Random(caseSeed);
            WireFormat format = formats.get(r.nextInt(formats.size()));
            byte[] input = mutate(corpus.get(r.nextInt(corpus.size())), r);
            // A small line limit now and then, so the oversized-line path is fuzzed too.
            int maxBytes = r.nextInt(4) == 0 ? 1 + r.nextInt(256) : WireFormat.DEFAULT_MAX_LINE_BYTES;
            try {
                StreamDecoder d = format.newDecoder(new RecordingSink(), maxBytes);
                long nanos = 0;
                int at = 0;
                while (at < input.length) {
                    int n = Math.min(input.length - at, 1 + r.nextInt(r.nextBoolean() ? 8 : 512));
                    ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(n);
                    try {
                        buf.writeBytes(input, at, n);
                        d.feed(buf, nanos += 1 + r.nextInt(1000));
                        assertThat(buf.refCnt()).isEqualTo(1);
                        assertThat(buf.readerIndex()).isZero();
                        assertThat(buf.writerIndex()).isEqualTo(n);
                    } finally {
                        buf.release();
                    }
                    at += n;
                }
                d.end(nanos + 1);
                assertThat(d.malformedCount()).isNotNegative();
            } catch (RuntimeException | AssertionError e) {
                throw new AssertionError("format " + format + ", master seed " + seed + ", case seed " + caseSeed, e);
            }
            runs++;
        }
        assertThat(runs).isGreaterThanOrEqualTo(500);
        System.out.println("decoder fuzz: " + runs + " mutated streams, seed " + seed);
    }
}
