package io.tokentap.core.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every real stream sample, decoded whole, in every two-way split of its bytes, and in many random multi-way
 * splits: the events and usage must be the same each time, and must be what the sample holds.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FixtureDecodingTest {

    record Case(String name, WireFormat format, Supplier<byte[]> body, Consumer<RecordingSink> expect) {
        @Override
        public String toString() {
            return format + " " + name;
        }
    }

    private static final String CHAT = "openai_chat_sse_cassette__envoy-ai-gateway__chat-streaming.yaml";
    private static final String CHAT_USAGE =
            "openai_chat_sse_cassette__envoy-ai-gateway__chat-streaming-detailed-usage.yaml";
    private static final String COMPLETIONS =
            "openai_completions_sse_cassette__envoy-ai-gateway__completion-streaming-usage.yaml";
    private static final String RESPONSES_TEXT = "openai_responses_api_sse_text__pydantic-ai__"
            + "test_openai_instructions_with_responses_logprobs_streaming.yaml";
    private static final String RESPONSES_TOOL = "openai_responses_api_sse_toolcall_usage__pydantic-ai__"
            + "test_openai_responses_streaming_usage.yaml";
    private static final String ANTHROPIC_REDACTED = "anthropic_messages_sse__pydantic-ai__"
            + "test_anthropic_model_thinking_part_redacted_stream.yaml";
    private static final String ANTHROPIC_THINKING = "anthropic_messages_sse_thinking__pydantic-ai__"
            + "test_anthropic_model_thinking_part_stream.yaml";
    private static final String TGI = "tgi_chat_completion_stream_usage_chunks_parsed__text-generation-inference__"
            + "test_flash_llama_completion_stream_usage.json";
    private static final String OLLAMA_GENERATE = "ollama_api_generate_stream_ndjson__ollama__docs_api_streaming.mdx.ndjson";
    private static final String OLLAMA_CHAT_FINAL = "ollama_api_chat_stream_final_chunk__ollama__docs_api.md.json";

    static Stream<Case> cases() {
        return Stream.of(
                new Case(CHAT, WireFormat.OPENAI_CHAT_SSE, () -> Fixtures.cassetteBody(CHAT), s -> {
                    assertThat(s.events.get(0)).as("role-only first chunk").isEqualTo("empty");
                    assertThat(s.contentEvents(ContentKind.TEXT)).isEqualTo(48);
                    assertThat(s.contentEvents()).isEqualTo(48);
                    assertThat(s.statedTokens()).as("the format states no token counts").isZero();
                    assertThat(s.text()).startsWith("Hi there! How can I help today? I can answer questions,")
                            .endsWith("a topic you’re curious about.");
                    assertThat(s.count("empty")).as("role-only chunk and finish_reason chunk").isEqualTo(2);
                    assertThat(s.usages).isEmpty();
                    assertThat(s.count("done")).isEqualTo(1);
                    assertThat(s.last()).isEqualTo("done");
                }),
                new Case(CHAT_USAGE, WireFormat.OPENAI_CHAT_SSE, () -> Fixtures.cassetteBody(CHAT_USAGE), s -> {
                    assertThat(s.events).containsExactly("empty", "empty", "empty",
                            "usage " + new Usage(12, 100, 0, 100), "done");
                }),
                new Case(COMPLETIONS, WireFormat.OPENAI_COMPLETIONS_SSE, () -> Fixtures.cassetteBody(COMPLETIONS), s -> {
                    assertThat(s.contentEvents(ContentKind.TEXT)).isEqualTo(25);
                    assertThat(s.text()).startsWith(" + fib(n-3) + fib(n-4)\n\ndef fibn(n):\n    if n <= 1:\n");
                    assertThat(s.usages).containsExactly(new Usage(31, 25, Usage.UNKNOWN, Usage.UNKNOWN));
                    assertThat(s.last()).isEqualTo("done");
                }),
                new Case(RESPONSES_TEXT, WireFormat.OPENAI_RESPONSES_SSE, () -> Fixtures.cassetteBody(RESPONSES_TEXT), s -> {
                    assertThat(s.contentEvents(ContentKind.TEXT)).isEqualTo(9);
                    assertThat(s.statedTokens()).as("one logprobs entry per delta").isEqualTo(9);
                    assertThat(s.text()).isEqualTo("The capital of Minas Gerais is Belo Horizonte.");
                    assertThat(s.usages).containsExactly(new Usage(25, 10, 0, 0));
                    assertThat(s.count("empty")).as("created, in_progress, added, done events").isEqualTo(7);
                    assertThat(s.events.subList(s.events.size() - 2, s.events.size()))
                            .containsExactly("usage " + new Usage(25, 10, 0, 0), "done");
                }),
                new Case(RESPONSES_TOOL, WireFormat.OPENAI_RESPONSES_SSE, () -> Fixtures.cassetteBody(RESPONSES_TOOL), s -> {
                    assertThat(s.contentEvents(ContentKind.TOOL_CALL)).isEqualTo(6);
                    assertThat(s.contentEvents()).isEqualTo(6);
                    assertThat(s.toolCall()).isEqualTo("{\"result\":6666}");
                    assertThat(s.usages).containsExactly(new Usage(53, 469, 0, 448));
                    assertThat(s.last()).isEqualTo("done");
                }),
                new Case(ANTHROPIC_REDACTED, WireFormat.ANTHROPIC_SSE, () -> Fixtures.cassetteBody(ANTHROPIC_REDACTED), s -> {
                    assertThat(s.events.get(0)).as("message_start").isEqualTo("empty");
                    assertThat(s.contentEvents(ContentKind.TEXT)).isEqualTo(15);
                    assertThat(s.contentEvents()).as("redacted thinking blocks carry no deltas").isEqualTo(15);
                    assertThat(s.text()).startsWith("I notice that you've sent what appears to be some kind of test")
                            .contains("any special \"magic string\" triggers")
                            .endsWith("a legitimate task or question?");
                    assertThat(s.usages).containsExactly(new Usage(92, 88, 0, Usage.UNKNOWN),
                            new Usage(92, 189, 0, Usage.UNKNOWN));
                    assertThat(s.count("empty")).as("start, 3 block starts, 3 stops, 3 pings, delta").isEqualTo(11);
                    assertThat(s.last()).isEqualTo("done");
                }),
                new Case(ANTHROPIC_THINKING, WireFormat.ANTHROPIC_SSE, () -> Fixtures.cassetteBody(ANTHROPIC_THINKING), s -> {
                    assertThat(s.contentEvents(ContentKind.REASONING)).isEqualTo(13);
                    assertThat(s.contentEvents(ContentKind.TEXT)).isEqualTo(95);
                    assertThat(s.reasoning()).isEqualTo("This is a straightforward question about pedestrian safety."
                            + " I should provide clear, helpful advice about how to safely cross a street."
                            + " This is basic safety information that could help prevent accidents.");
                    assertThat(s.text()).startsWith("Here are the basic steps for safely crossing the street:\n\n"
                            + "**At intersections with traffic lights:**\n- Wait for the pedestrian \"Walk\" signal");
                    assertThat(s.mergedUsage()).isEqualTo(new Usage(43, 282, 0, Usage.UNKNOWN));
                    assertThat(s.last()).isEqualTo("done");
                }),
                new Case(TGI, WireFormat.TGI_SSE, () -> Fixtures.chunksAsSse(TGI), FixtureDecodingTest::tgiChunks),
                new Case(TGI, WireFormat.OPENAI_CHAT_SSE, () -> Fixtures.chunksAsSse(TGI), FixtureDecodingTest::tgiChunks),
                new Case(OLLAMA_GENERATE, WireFormat.OLLAMA_NDJSON, () -> Fixtures.resource(OLLAMA_GENERATE), s -> {
                    assertThat(s.contentEvents(ContentKind.TEXT)).isEqualTo(7);
                    assertThat(s.statedTokens()).as("one token per object").isEqualTo(7);
                    assertThat(s.text()).isEqualTo("That's a fantastic question!");
                    assertThat(s.usages).isEmpty();
                    assertThat(s.last()).isEqualTo("done");
                }),
                new Case(OLLAMA_CHAT_FINAL, WireFormat.OLLAMA_NDJSON, () -> Fixtures.compactLine(OLLAMA_CHAT_FINAL), s -> {
                    assertThat(s.events).containsExactly(
                            "usage " + new Usage(26, 282, Usage.UNKNOWN, Usage.UNKNOWN), "done");
                }),
                new Case(OLLAMA_CHAT_FINAL, WireFormat.JSON_USAGE, () -> Fixtures.resource(OLLAMA_CHAT_FINAL), s -> {
                    assertThat(s.events).containsExactly("empty",
                            "usage " + new Usage(26, 282, Usage.UNKNOWN, Usage.UNKNOWN), "done");
                }));
    }

    private static void tgiChunks(RecordingSink s) {
        assertThat(s.contentEvents(ContentKind.TEXT)).isEqualTo(10);
        assertThat(s.text()).isEqualTo("**Deep Learning: An Overview**\n=====================================\n\n");
        assertThat(s.usages).containsExactly(new Usage(40, 10, Usage.UNKNOWN, Usage.UNKNOWN));
        assertThat(s.count("done")).as("the sample has no [DONE]").isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void wholeBodyHoldsWhatTheSampleSays(Case c) {
        RecordingSink s = Feeder.decode(c.format(), c.body().get());
        c.expect().accept(s);
        assertThat(s.malformed).isZero();
        assertThat(s.nanos).as("all events come from the one read").containsOnly(1L);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyTwoWaySplitGivesTheSameEvents(Case c) {
        byte[] body = c.body().get();
        RecordingSink whole = Feeder.decode(c.format(), body);
        for (int cut = 1; cut < body.length; cut++) {
            RecordingSink s = Feeder.decode(c.format(), body, cut);
            if (!s.events.equals(whole.events) || s.malformed != 0) {
                fail("split at byte " + cut + " of " + body.length + ": " + s.events + " malformed " + s.malformed
                        + "\nexpected: " + whole.events);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void randomSplitsGiveTheSameEvents(Case c) {
        byte[] body = c.body().get();
        RecordingSink whole = Feeder.decode(c.format(), body);
        Random random = new Random(0x7e57L ^ c.toString().hashCode());
        for (int run = 0; run < 300; run++) {
            int[] cuts = Feeder.randomCuts(random, body.length, run < 150 ? 8 : 200);
            RecordingSink s = Feeder.decode(c.format(), body, cuts);
            if (!s.events.equals(whole.events) || s.malformed != 0) {
                fail("cuts " + java.util.Arrays.toString(cuts) + ": " + s.events + "\nexpected: " + whole.events);
            }
            c.expect().accept(s);
        }
        int[] everyByte = java.util.stream.IntStream.range(1, body.length).toArray();
        assertThat(Feeder.decode(c.format(), body, everyByte).events).as("one byte per read").isEqualTo(whole.events);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void pooledDirectBuffersGiveTheSameEvents(Case c) {
        byte[] body = c.body().get();
        RecordingSink whole = Feeder.decode(c.format(), body);
        Random random = new Random(42);
        for (int run = 0; run < 5; run++) {
            RecordingSink s = Feeder.decodePooled(c.format(), body, Feeder.randomCuts(random, body.length, 16));
            assertThat(s.events).isEqualTo(whole.events);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void withoutTextTheEventsAreTheSameButCarryNoText(Case c) {
        byte[] body = c.body().get();
        RecordingSink withText = Feeder.decode(c.format(), body);
        RecordingSink noText = Feeder.decode(c.format(), body, false);
        assertThat(noText.events).hasSameSizeAs(withText.events);
        assertThat(noText.text()).isEmpty();
        for (int i = 0; i < noText.events.size(); i++) {
            String e = withText.events.get(i);
            String expected = e.startsWith("content ") ? e.substring(0, e.indexOf(' ', e.indexOf(' ', 8) + 1)) + " null" : e;
            assertThat(noText.events.get(i)).isEqualTo(expected);
        }
    }
}
