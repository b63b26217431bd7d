package io.tokentap.core.stream.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.Fixtures;
import io.tokentap.core.stream.StreamEventSink;
import io.tokentap.core.stream.Usage;
import io.tokentap.testing.ByteMutations;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fast path of {@link OpenAiChunkHandler} against its Jackson path: the same chunks, real and mutated, must give
 * the same answer and the same events both ways, and the fast path must take the usual chunks (else it would be a
 * path never taken). Mutations splice in what JSON parsers trip on: quotes, escapes, brackets, bad numbers and
 * literals, control bytes, and well- and ill-formed UTF-8.
 */
@Timeout(120)
class OpenAiChunkScannerTest {

    private static final int RUNS = Integer.getInteger("tokentap.fuzz.runs", 20_000);

    private static final String[] SPLICES = {"\"", "\\", "{", "}", "[", "]", ",", ":", " ", "\t", "\r\n", "0", "01",
        "-", "-0", "1.", "1.5e+3", ".5", "1e", "E9", "true", "nul", "null", "fals", "\\u00e9", "\\ud83d", "\\u12",
        "\\x", "\\/", "\"usage\":{}", "\"usage\":null,", "\"content\":\"\",", "\"content\":[],", "\"tool_calls\":[],",
        "\"logprobs\":{},", "\"reasoning_content\":\"r\",", "\"refusal\":\"no\",", "\"text\":\"t\",", "\"delta\":5,",
        "\"error\":null,", "\"choices\":[1,{}],", "{\"a\":[1,2,{\"b\":null}]}", "\"con\\u0074ent\"", "é", "✓", "😀",
        "\u0000", "\u001f", "\u007f", "/*c*/", "#"};
    private static final byte[][] RAW = {{(byte) 0xE0, (byte) 0x80, (byte) 0x80}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xC2},
        {(byte) 0xF0, (byte) 0x9F, (byte) 0x98}, {(byte) 0x80}, {(byte) 0xFF}, {(byte) 0xF5, (byte) 0x80, (byte) 0x80,
        (byte) 0x80}, {(byte) 0xEF, (byte) 0xBF, (byte) 0xBF}};

    /** What a sink was told, in order, with the handler's answers; times left out (both paths use the same). */
    private static final class Log implements StreamEventSink {
        final List<String> events = new ArrayList<>();

        @Override
        public void content(long nanos, ContentKind kind, int tokens, String text) {
            events.add("content " + kind + " " + tokens + " " + text);
        }

        @Override
        public void empty(long nanos) {
            events.add("empty");
        }

        @Override
        public void usage(long nanos, Usage usage) {
            events.add("usage " + usage);
        }

        @Override
        public void error(long nanos, String type, String message) {
            events.add("error " + type + " " + message);
        }

        @Override
        public void done(long nanos) {
            events.add("done");
        }
    }

    /** Every {@code data:} payload of the fixtures' OpenAI-dialect streams, and chunks shaped like other servers'. */
    static List<byte[]> chunks() {
        List<byte[]> out = new ArrayList<>();
        for (byte[] body : List.of(
                Fixtures.cassetteBody("openai_chat_sse_cassette__envoy-ai-gateway__chat-streaming.yaml"),
                Fixtures.cassetteBody("openai_chat_sse_cassette__envoy-ai-gateway__chat-streaming-detailed-usage.yaml"),
                Fixtures.cassetteBody("openai_completions_sse_cassette__envoy-ai-gateway__completion-streaming-usage.yaml"),
                Fixtures.chunksAsSse("tgi_chat_completion_stream_usage_chunks_parsed__text-generation-inference__"
                        + "test_flash_llama_completion_stream_usage.json"))) {
            for (String line : new String(body, StandardCharsets.UTF_8).split("\n")) {
                String l = line.strip();
                if (l.startsWith("data:") && !l.endsWith("[DONE]")) {
                    out.add(l.substring(5).strip().getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        for (String s : List.of(
                // vLLM: reasoning first, then content; SGLang's "reasoning"; usage null on every chunk (OpenAI).
                "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":"
                        + "[{\"index\":0,\"delta\":{\"reasoning_content\":\"Let me\"},\"logprobs\":null,"
                        + "\"finish_reason\":null}]}",
                "{\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"hmm\",\"content\":null}}],\"usage\":null}",
                "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"caf\\u00e9 \\\"q\\\" \\n 😀 ✓\"},"
                        + "\"finish_reason\":null}],\"usage\":null}",
                "{\"choices\":[{\"delta\":{\"refusal\":\"I can't\"}}]}",
                "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\"\"}}]}}]}",
                "{\"choices\":[{\"delta\":{\"content\":\"x\"},\"logprobs\":{\"content\":[{\"token\":\"x\"}]}}]}",
                "{\"choices\":[{\"delta\":{\"content\":[{\"type\":\"text\",\"text\":\"parts\"}]}}]}",
                "{\"choices\":[{\"index\":0,\"text\":\" legacy\",\"finish_reason\":null}]}",
                "{\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}}",
                "{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}",
                "{}", "{\"choices\":[]}", "{\"choices\":[{\"delta\":{}}]}",
                "  {\"choices\" : [ { \"delta\" : { \"content\" : \"sp\" } } ] , \"n\" : -1.5E-3 , \"b\" : [true,false]}  ",
                "{\"choices\":[{\"delta\":{\"content\":\"a\"}}]} trailing",
                "{\"choices\":[{\"delta\":{\"content\":\"\"},\"finish_reason\":\"stop\"}]}")) {
            out.add(s.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    /**
     * The eight-bytes-at-a-time check must find the first byte a string cannot skip (a quote, a backslash, a control
     * byte, a byte from 0x80 up) wherever it is among the eight, whatever follows it: against a byte-by-byte search
     * over words made mostly of those bytes and their neighbours.
     */
    @Test
    void theWordCheckFindsTheFirstByteAStringCannotSkip() {
        int[] pool = {'"', '\\', 0x00, 0x01, 0x1F, 0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7F, 0x80, 0xC3, 0xFF, 'a', 'T', '9'};
        Random rnd = new Random(11);
        for (int n = 0; n < 200_000; n++) {
            long w = 0;
            int expected = 8;
            for (int k = 0; k < 8; k++) {
                int c = rnd.nextInt(4) == 0 ? rnd.nextInt(256) : pool[rnd.nextInt(pool.length)];
                w |= (long) c << (8 * k);
                if (expected == 8 && (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)) {
                    expected = k;
                }
            }
            long special = OpenAiChunkScanner.special(w);
            int found = special == 0 ? 8 : Long.numberOfTrailingZeros(special) >>> 3;
            assertThat(found).as("word %016x", w).isEqualTo(expected);
        }
    }

    @Test
    void theFastPathTakesTheUsualChunksAndAgreesWithJackson() {
        OpenAiChunkScanner scanner = new OpenAiChunkScanner();
        int taken = 0;
        int plain = 0;
        for (byte[] chunk : chunks()) {
            String s = new String(chunk, StandardCharsets.UTF_8);
            boolean usual = !s.contains("\"usage\":{") && !s.contains("\"error\"") && !s.contains("\"tool_calls\":[")
                    && !s.contains("\"logprobs\":{") && !s.contains("\"content\":[");
            boolean took = scanner.scan(chunk, chunk.length, new ChunkContent(false));
            if (usual) {
                plain++;
                assertThat(took).as("the fast path takes %s", s).isTrue();
            } else {
                assertThat(took).as("the fast path leaves %s to Jackson", s).isFalse();
            }
            taken += took ? 1 : 0;
            assertSame(List.of(chunk));
        }
        assertThat(plain).isGreaterThan(20);
        assertThat(taken).isEqualTo(plain);
    }

    @Test
    void mutatedChunksGetTheSameEventsBothWays() {
        List<byte[]> corpus = chunks();
        long seed = Long.getLong("tokentap.fuzz.seed", System.nanoTime());
        Random master = new Random(seed);
        OpenAiChunkScanner scanner = new OpenAiChunkScanner();
        int taken = 0;
        for (int run = 0; run < RUNS; run++) {
            long caseSeed = master.nextLong();
            Random r = new Random(caseSeed);
            List<byte[]> events = new ArrayList<>();
            for (int i = 1 + r.nextInt(4); i > 0; i--) {
                byte[] e = corpus.get(r.nextInt(corpus.size()));
                events.add(r.nextInt(5) == 0 ? e : mutate(e, r));
            }
            try {
                assertSame(events);
            } catch (AssertionError e) {
                throw new AssertionError("master seed " + seed + ", case seed " + caseSeed, e);
            }
            byte[] first = events.get(0);
            taken += scanner.scan(first, first.length, new ChunkContent(false)) ? 1 : 0;
        }
        // The mutations must leave the fast path plenty to take, or the comparison would only test the fallback.
        assertThat(taken).as("chunks the fast path took, of %d", RUNS).isGreaterThan(RUNS / 5);
        System.out.println("chunk scanner fuzz: " + RUNS + " cases, fast path took " + taken + ", seed " + seed);
    }

    /** The events, fed in order to one handler with the fast path and one without, give the same answers. */
    private static void assertSame(List<byte[]> events) {
        Log fast = new Log();
        Log slow = new Log();
        OpenAiChunkHandler withFastPath = new OpenAiChunkHandler(fast, true);
        OpenAiChunkHandler jacksonOnly = new OpenAiChunkHandler(slow, false);
        for (byte[] e : events) {
            // Now and then as an "event: error" (the handler's one named event type), else unnamed.
            int eventType = e.length % 7 == 0 ? 0 : EventTypes.NONE;
            byte[] padded = new byte[e.length + 7]; // the handler must read only [0, len)
            System.arraycopy(e, 0, padded, 0, e.length);
            padded[e.length] = '}';
            boolean a = withFastPath.onEvent(eventType, padded, e.length, 1);
            boolean b = jacksonOnly.onEvent(eventType, e.clone(), e.length, 1);
            fast.events.add("answer " + a);
            slow.events.add("answer " + b);
        }
        assertThat(fast.events).as(() -> "events for " + render(events)).isEqualTo(slow.events);
    }

    private static String render(List<byte[]> events) {
        StringBuilder sb = new StringBuilder();
        for (byte[] e : events) {
            sb.append('\n').append(new String(e, StandardCharsets.ISO_8859_1));
        }
        return sb.toString();
    }

    private static byte[] mutate(byte[] in, Random r) {
        byte[] b = in;
        for (int ops = 1 + r.nextInt(3); ops > 0; ops--) {
            int at = b.length == 0 ? 0 : r.nextInt(b.length + 1);
            switch (r.nextInt(6)) {
                case 0 -> b = ByteMutations.splice(b, at,
                        SPLICES[r.nextInt(SPLICES.length)].getBytes(StandardCharsets.UTF_8));
                case 1 -> b = ByteMutations.splice(b, at, RAW[r.nextInt(RAW.length)]);
                case 2 -> { // replace a byte
                    if (at < b.length) {
                        b = b.clone();
                        byte[] s = SPLICES[r.nextInt(SPLICES.length)].getBytes(StandardCharsets.UTF_8);
                        b[at] = r.nextBoolean() && s.length > 0 ? s[0] : (byte) r.nextInt(256);
                    }
                }
                case 3 -> b = ByteMutations.deleteRun(b, at, 1 + r.nextInt(8));
                case 4 -> b = ByteMutations.duplicateRun(b, at, r.nextInt(32));
                default -> b = ByteMutations.truncate(b, at);
            }
        }
        return b;
    }

}
