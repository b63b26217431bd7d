package io.tokentap.core.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** SSE framing as the WHATWG event-stream rules define it, and what happens at its edges. */
@Timeout(60)
class SseFramingTest {

    private static final String CHAT = "openai_chat_sse_cassette__envoy-ai-gateway__chat-streaming.yaml";
    private static final String ANTHROPIC = "anthropic_messages_sse_thinking__pydantic-ai__"
            + "test_anthropic_model_thinking_part_stream.yaml";

    private static String chunk(String content) {
        return "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content + "\"}}]}\n\n";
    }

    /** Every two-way split of the body gives {@code expected}. */
    private static void assertEverySplit(WireFormat format, byte[] body, RecordingSink expected) {
        for (int cut = 1; cut < body.length; cut++) {
            RecordingSink s = Feeder.decode(format, body, cut);
            if (!s.events.equals(expected.events) || s.malformed != expected.malformed) {
                fail("split at " + cut + ": " + s.events + " (malformed " + s.malformed + ")\nexpected: "
                        + expected.events);
            }
        }
    }

    @Test
    void crlfLineEndsEverywhereGiveTheSameEventsAsLf() {
        byte[] lf = Fixtures.cassetteBody(CHAT);
        byte[] crlf = new String(lf, StandardCharsets.UTF_8).replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
        RecordingSink expected = Feeder.decode(WireFormat.OPENAI_CHAT_SSE, lf);
        RecordingSink s = Feeder.decode(WireFormat.OPENAI_CHAT_SSE, crlf);
        assertThat(s.events).isEqualTo(expected.events);
        assertThat(s.contentEvents()).isEqualTo(48);
        assertThat(s.malformed).isZero();
        // A CR at the end of one read and its LF at the start of the next are one line end.
        assertEverySplit(WireFormat.OPENAI_CHAT_SSE, crlf, expected);
    }

    @Test
    void loneCrLineEndsGiveTheSameEvents() {
        byte[] lf = Fixtures.cassetteBody(ANTHROPIC);
        byte[] cr = new String(lf, StandardCharsets.UTF_8).replace("\n", "\r").getBytes(StandardCharsets.UTF_8);
        RecordingSink expected = Feeder.decode(WireFormat.ANTHROPIC_SSE, lf);
        assertThat(Feeder.decode(WireFormat.ANTHROPIC_SSE, cr).events).isEqualTo(expected.events);
        Random random = new Random(7);
        for (int i = 0; i < 100; i++) {
            int[] cuts = Feeder.randomCuts(random, cr.length, 50);
            assertThat(Feeder.decode(WireFormat.ANTHROPIC_SSE, cr, cuts).events).as(Arrays.toString(cuts))
                    .isEqualTo(expected.events);
        }
    }

    @Test
    void mixedLineEndsInOneStream() {
        String body = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\n\r"
                + "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\r\r"
                + "data: {\"choices\":[{\"delta\":{\"content\":\"c\"}}]}\n\r\n"
                + "data: [DONE]\r\n\n";
        RecordingSink s = Feeder.decode(WireFormat.OPENAI_CHAT_SSE, body);
        assertThat(s.events).containsExactly("content TEXT 0 a", "content TEXT 0 b", "content TEXT 0 c", "done");
        assertEverySplit(WireFormat.OPENAI_CHAT_SSE, body.getBytes(StandardCharsets.UTF_8), s);
    }

    @Test
    void multiLineDataIsJoinedWithLineFeeds() {
        String body = "data: {\"choices\":[{\"delta\":\n"
                + "data:   {\"content\":\"Hi\"}}\n"
                + "data: ]}\n"
                + "\n"
                + "data: {\"type\":\"x\",\n"
                + "data: \"choices\":[{\"delta\":{\"content\":\"there\"}}]}\r\n\r\n";
        RecordingSink s = Feeder.decode(WireFormat.OPENAI_CHAT_SSE, body);
        assertThat(s.events).containsExactly("content TEXT 0 Hi", "content TEXT 0 there");
        assertThat(s.malformed).isZero();
        assertEverySplit(WireFormat.OPENAI_CHAT_SSE, body.getBytes(StandardCharsets.UTF_8), s);
    }

    @Test
    void dataWithOrWithoutASpaceAndOnlyOneSpaceRemoved() {
        String body = "data:{\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n"
                + "data:  {\"choices\":[{\"delta\":{\"content\":\" c\"}}]}\n\n"
                + "data:[DONE]\n\n";
        RecordingSink s = Feeder.decode(WireFormat.OPENAI_CHAT_SSE, body);
        assertThat(s.events).containsExactly("content TEXT 0 a", "content TEXT 0 b", "content TEXT 0  c", "done");
    }

    @Test
    void commentsIdsAndRetryAreIgnored() {
        String body = ": keep-alive\n\n"
                + ":\n"
                + "id: 7\n"
                + "retry: 1000\n"
                + chunk("a")
                + ": OPENROUTER PROCESSING\n\n"
                + chunk("b");
        RecordingSink s = Feeder.decode(WireFormat.OPENAI_CHAT_SSE, body);
        assertThat(s.events).containsExactly("content TEXT 0 a", "content TEXT 0 b");
        assertThat(s.malformed).isZero();
    }

    @Test
    void anEventWithoutDataIsNotDispatchedAndEmptyDataIsEmpty() {
        String body = "event: ping\n\n" + "data:\n\n" + "data\n\n" + chunk("x");
        RecordingSink s = Feeder.decode(WireFormat.OPENAI_CHAT_SSE, body);
        assertThat(s.events).containsExactly("empty", "empty", "content TEXT 0 x");
    }

    @Test
    void eventNamesAreUsedWhenTheDataHasNoType() {
        String body = "event: content_block_delta\ndata: {\"delta\":{\"text\":\"hi\"}}\n\n"
                + "event: ping\ndata: {}\n\n"
                + "event: message_stop\ndata: {}\n\n";
        RecordingSink s = Feeder.decode(WireFormat.ANTHROPIC_SSE, body);
        assertThat(s.events).containsExactly("content TEXT 0 hi", "empty", "done");
        assertThat(s.malformed).isZero();
    }

    @Test
    void theEventNameIsResetAfterEachDispatch() {
        String body = "event: error\ndata: {\"error\":{\"type\":\"t\",\"message\":\"m\"}}\n\n" + chunk("x");
        RecordingSink s = Feeder.decode(WireFormat.OPENAI_CHAT_SSE, body);
        assertThat(s.events).containsExactly("error t m", "content TEXT 0 x");
    }

    @Test
    void missingDoneStillReportsContentAndUsageAndAPendingEventAtEnd() {
        String body = chunk("a") + chunk("b")
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}";
        RecordingSink s = Feeder.decode(WireFormat.OPENAI_CHAT_SSE, body);
        assertThat(s.events).containsExactly("content TEXT 0 a", "content TEXT 0 b", "empty",
                "usage " + new Usage(3, 2, Usage.UNKNOWN, Usage.UNKNOWN));
        assertThat(s.count("done")).isZero();
        assertThat(s.nanos.get(s.nanos.size() - 1)).as("the pending event is dispatched by end()").isEqualTo(2L);
    }

    @Test
    void errorMidStreamIsReportedAndDecodingGoesOn() {
        String body = chunk("a")
                + "data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\",\"code\":null}}\n\n"
                + chunk("b")
                + "event: error\ndata: upstream went away\n\n"
                + "data: [DONE]\n\n";
        RecordingSink s = Feeder.decode(WireFormat.OPENAI_CHAT_SSE, body);
        assertThat(s.events).containsExactly("content TEXT 0 a", "error server_error The server had an error",
                "content TEXT 0 b", "error error upstream went away", "done");
        assertThat(s.malformed).isZero();
    }

    @Test
    void anthropicErrorEventMidStream() {
        String body = "event: content_block_delta\n"
                + "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n"
                + "event: error\n"
                + "data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        RecordingSink s = Feeder.decode(WireFormat.ANTHROPIC_SSE, body);
        assertThat(s.events).containsExactly("content TEXT 0 Hel", "error overloaded_error Overloaded");
    }

    @Test
    void theEventTimeIsTheReadThatCompletesIt() {
        byte[] body = chunk("a").getBytes(StandardCharsets.UTF_8);
        // The blank line arrives in the second read.
        RecordingSink s = Feeder.decode(WireFormat.OPENAI_CHAT_SSE, body, body.length - 1);
        assertThat(s.events).containsExactly("content TEXT 0 a");
        assertThat(s.nanos).containsExactly(2L);
    }

    @ParameterizedTest
    @EnumSource(value = WireFormat.class, names = {"OPENAI_CHAT_SSE", "OPENAI_RESPONSES_SSE", "ANTHROPIC_SSE",
            "OLLAMA_NDJSON", "JSON_USAGE"})
    void multiByteCharactersSplitAcrossReadsAreWhole(WireFormat format) {
        String text = "日本語 😀 ünï ✓";
        String body = switch (format) {
            case OPENAI_CHAT_SSE -> chunk(text);
            case OPENAI_RESPONSES_SSE -> "event: response.output_text.delta\n"
                    + "data: {\"type\":\"response.output_text.delta\",\"delta\":\"" + text + "\"}\n\n";
            case ANTHROPIC_SSE -> "event: content_block_delta\n"
                    + "data: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"" + text + "\"}}\n\n";
            case OLLAMA_NDJSON -> "{\"response\":\"" + text + "\",\"done\":false}\n";
            default -> "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"" + text + "\"}}]}";
        };
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        for (int cut = 1; cut < bytes.length; cut++) {
            RecordingSink s = Feeder.decode(format, bytes, cut);
            assertThat(s.text()).as("split at %d", cut).isEqualTo(text);
        }
        int[] everyByte = java.util.stream.IntStream.range(1, bytes.length).toArray();
        assertThat(Feeder.decode(format, bytes, everyByte).text()).isEqualTo(text);
    }

    @Test
    void aLineLongerThanTheCapIsSkippedAndCounted() {
        RecordingSink sink = new RecordingSink();
        StreamDecoder d = WireFormat.OPENAI_CHAT_SSE.newDecoder(sink);
        byte[] slab = new byte[8192];
        Arrays.fill(slab, (byte) 'a');
        long t = 0;
        d.feed("data: ".getBytes(StandardCharsets.US_ASCII), 0, 6, ++t);
        for (int i = 0; i < (2 << 20) / slab.length; i++) { // 2 MiB without a newline
            d.feed(slab, 0, slab.length, ++t);
        }
        assertThat(sink.events).isEmpty();
        byte[] rest = ("\n\n" + chunk("after")).getBytes(StandardCharsets.UTF_8);
        d.feed(rest, 0, rest.length, ++t);
        d.end(++t);
        assertThat(sink.events).containsExactly("content TEXT 0 after");
        assertThat(d.malformedCount()).isEqualTo(1);
    }

    @Test
    void aLineAtTheCapIsStillDecoded() {
        String line = "data: {\"choices\":[{\"delta\":{\"content\":\"" + "x".repeat(200) + "\"}}]}";
        int len = line.getBytes(StandardCharsets.UTF_8).length;
        RecordingSink ok = new RecordingSink();
        StreamDecoder d = WireFormat.OPENAI_CHAT_SSE.newDecoder(ok, len);
        byte[] body = (line + "\n\n" + line + "x\n\n").getBytes(StandardCharsets.UTF_8);
        d.feed(body, 0, body.length, 1);
        d.end(2);
        assertThat(ok.contentEvents()).as("the first line fits, the second is one byte over").isEqualTo(1);
        assertThat(d.malformedCount()).isEqualTo(1);
    }

    @Test
    void unparsableDataAndUnknownFieldsAreCountedNotThrown() {
        String body = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"\n\n"
                + "data: not json\n\n"
                + "bogus: 1\n"
                + "data: [1,2]\n\n"
                + chunk("b");
        RecordingSink s = Feeder.decode(WireFormat.OPENAI_CHAT_SSE, body);
        assertThat(s.events).containsExactly("content TEXT 0 b");
        assertThat(s.malformed).isEqualTo(4);
    }

    @ParameterizedTest
    @EnumSource(WireFormat.class)
    void garbageNeverThrows(WireFormat format) {
        Random random = new Random(format.ordinal());
        for (int run = 0; run < 50; run++) {
            byte[] garbage = new byte[1 + random.nextInt(4096)];
            random.nextBytes(garbage);
            if (run % 2 == 0) {
                // Sprinkle line ends and field names so the framing is exercised too.
                for (int i = 0; i < garbage.length; i += 1 + random.nextInt(40)) {
                    garbage[i] = (byte) "\n\r:{\"d".charAt(random.nextInt(6));
                }
            }
            RecordingSink s = Feeder.decode(format, garbage, Feeder.randomCuts(random, garbage.length, 20));
            assertThat(s.malformed).isGreaterThanOrEqualTo(0);
        }
        // The decoder still works after garbage in an earlier line.
        if (format == WireFormat.OPENAI_CHAT_SSE) {
            RecordingSink s = Feeder.decode(format, "\u0000\u00ff\u00fe garbage\n\n" + chunk("ok"));
            assertThat(s.events).containsExactly("content TEXT 0 ok");
            assertThat(s.malformed).isEqualTo(1);
        }
    }

    @Test
    void feedingAByteArrayWorksLikeAByteBuf() {
        byte[] body = Fixtures.cassetteBody(CHAT);
        RecordingSink expected = Feeder.decode(WireFormat.OPENAI_CHAT_SSE, body);
        RecordingSink sink = new RecordingSink();
        StreamDecoder d = WireFormat.OPENAI_CHAT_SSE.newDecoder(sink);
        for (int i = 0; i < body.length; i += 100) {
            d.feed(body, i, Math.min(100, body.length - i), 1);
        }
        d.end(1);
        assertThat(sink.events).isEqualTo(expected.events);
    }
}
