package io.tokentap.core.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.Outcome;
import io.tokentap.core.stream.StreamDecoder;
import io.tokentap.core.stream.Usage;
import io.tokentap.core.stream.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class RequestTimelineTest {

    private static final long START = 1_000_000;
    private final List<long[]> gaps = new ArrayList<>();
    private final RequestTimeline t = new RequestTimeline(START, (gap, tokens) -> gaps.add(new long[] {gap, tokens}));

    @Test
    void ttftIgnoresRoleOnlyAndEmptyChunksButTheyMarkTheFirstByte() {
        t.empty(START + 50); // role-only chunk
        t.empty(START + 80); // empty delta
        t.content(START + 200, ContentKind.TEXT, 0, null);
        assertThat(t.ttfbNanos()).isEqualTo(50);
        assertThat(t.ttftNanos()).isEqualTo(200);
        assertThat(t.firstTokenNanos()).isEqualTo(START + 200);
    }

    @Test
    void anEarlierFirstByteFromTheCallerWins() {
        t.firstByte(START + 10);
        t.empty(START + 50);
        t.content(START + 60, ContentKind.REASONING, 0, null);
        assertThat(t.ttfbNanos()).isEqualTo(10);
        assertThat(t.ttftNanos()).as("reasoning is generated content").isEqualTo(60);
    }

    @Test
    void perEventAndPerTokenItlWithMultiTokenEvents() {
        t.content(START + 1000, ContentKind.TEXT, 1, null);
        t.content(START + 1300, ContentKind.TEXT, 3, null); // a speculative-decoding chunk of 3 tokens
        t.empty(START + 1350);
        t.content(START + 1400, ContentKind.TEXT, 0, null); // count not stated: one token
        assertThat(gaps).hasSize(2);
        assertThat(gaps.get(0)).containsExactly(300, 3); // per-token ITL 100
        assertThat(gaps.get(1)).containsExactly(100, 1);
        assertThat(t.itlCount()).as("TTFT is not an ITL").isEqualTo(2);
        assertThat(t.itlMeanNanos()).isEqualTo(200.0);
        assertThat(t.maxStallNanos()).isEqualTo(300);
        assertThat(t.countedTokens()).isEqualTo(5);
        assertThat(t.contentEvents()).isEqualTo(3);
        // Population std of {300, 100} is 100; mean 200.
        assertThat(t.itlCv()).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void tpotFromCountedTokensThenFromUsageWhenPresent() {
        t.content(START + 1000, ContentKind.TEXT, 1, null);
        t.content(START + 1300, ContentKind.TEXT, 3, null);
        t.content(START + 1400, ContentKind.TEXT, 1, null);
        assertThat(t.outputTokens()).isEqualTo(5);
        assertThat(t.tpotNanos()).isEqualTo(400 / 4);
        t.usage(START + 1500, new Usage(10, Usage.UNKNOWN, Usage.UNKNOWN, Usage.UNKNOWN));
        assertThat(t.tpotNanos()).as("usage without output tokens changes nothing").isEqualTo(100);
        t.usage(START + 1500, new Usage(Usage.UNKNOWN, 9, Usage.UNKNOWN, Usage.UNKNOWN));
        assertThat(t.outputTokens()).isEqualTo(9);
        assertThat(t.tpotNanos()).isEqualTo(400 / 8);
        assertThat(t.usage()).isEqualTo(new Usage(10, 9, Usage.UNKNOWN, Usage.UNKNOWN));
    }

    @Test
    void aStaleUsageBelowTheCountedTokensLosesToTheCount() {
        // A cancelled Anthropic stream: message_start said output_tokens 1, the final message_delta never came.
        t.usage(START + 10, new Usage(92, 1, 0, Usage.UNKNOWN));
        for (int i = 0; i < 4; i++) {
            t.content(START + 100 + i * 10L, ContentKind.TEXT, 0, null);
        }
        assertThat(t.outputTokens()).isEqualTo(4);
        assertThat(t.tpotNanos()).isEqualTo(30 / 3);
        t.usage(START + 200, new Usage(92, 40, 0, Usage.UNKNOWN));
        assertThat(t.outputTokens()).as("the final report wins once it is larger").isEqualTo(40);
    }

    @Test
    void tpotIsUndefinedBelowTwoTokensOrWithASingleEvent() {
        assertThat(t.tpotNanos()).isEqualTo(RequestTimeline.UNDEFINED);
        t.content(START + 100, ContentKind.TEXT, 0, null);
        assertThat(t.tpotNanos()).isEqualTo(RequestTimeline.UNDEFINED);
        // A non-streaming body: one event carrying all the tokens says nothing about decode speed.
        t.usage(START + 100, new Usage(5, 50, Usage.UNKNOWN, Usage.UNKNOWN));
        assertThat(t.tpotNanos()).isEqualTo(RequestTimeline.UNDEFINED);
        assertThat(t.maxStallNanos()).isEqualTo(RequestTimeline.UNDEFINED);
        assertThat(t.itlCv()).isNaN();
        assertThat(t.itlMeanNanos()).isNaN();
    }

    @Test
    void tpotIsUndefinedWhenTheWholeStreamArrivedInOneRead() {
        for (int i = 0; i < 8; i++) {
            t.content(START + 100, ContentKind.TEXT, 0, null);
        }
        t.usage(START + 100, new Usage(5, 8, Usage.UNKNOWN, Usage.UNKNOWN));
        assertThat(t.contentEvents()).isEqualTo(8);
        assertThat(t.tpotNanos()).as("eight events, one timestamp: no decode speed to measure")
                .isEqualTo(RequestTimeline.UNDEFINED);
        t.content(START + 130, ContentKind.TEXT, 0, null);
        assertThat(t.tpotNanos()).as("a later read makes it defined again").isEqualTo(30 / 8);
    }

    @Test
    void maxStallIsTheLargestGap() {
        long[] at = {0, 20, 40, 540, 560, 580};
        for (long a : at) {
            t.content(START + 100 + a, ContentKind.TEXT, 0, null);
        }
        assertThat(t.maxStallNanos()).isEqualTo(500);
        assertThat(t.itlCount()).isEqualTo(5);
        assertThat(t.itlMeanNanos()).isEqualTo(116.0);
        // Population std of {20,20,500,20,20}: sqrt(((4*96^2)+384^2)/5) = 192.
        assertThat(t.itlCv()).isCloseTo(192.0 / 116.0, within(1e-9));
    }

    @Test
    void evenlySpacedTokensHaveZeroCv() {
        for (int i = 0; i < 10; i++) {
            t.content(START + 100 + i * 25L, ContentKind.TEXT, 0, null);
        }
        assertThat(t.itlCv()).isCloseTo(0.0, within(1e-12));
    }

    @Test
    void theFirstOutcomeWins() {
        assertThat(t.ended()).isFalse();
        assertThat(t.e2eNanos()).isEqualTo(RequestTimeline.UNDEFINED);
        t.end(START + 700, Outcome.CLIENT_CANCEL);
        t.end(START + 900, Outcome.OK);
        assertThat(t.ended()).isTrue();
        assertThat(t.outcome()).isEqualTo(Outcome.CLIENT_CANCEL);
        assertThat(t.e2eNanos()).isEqualTo(700);
        assertThat(t.endNanos()).isEqualTo(START + 700);
    }

    @Test
    void errorsDoneAndStatusAreKept() {
        t.status(200);
        t.error(START + 5, "overloaded_error", "Overloaded");
        t.done(START + 6);
        assertThat(t.status()).isEqualTo(200);
        assertThat(t.streamError()).isTrue();
        assertThat(t.streamErrorType()).isEqualTo("overloaded_error");
        assertThat(t.sawDone()).isTrue();
        assertThat(t.ttftNanos()).isEqualTo(RequestTimeline.UNDEFINED);
    }

    @Test
    void outcomeOfStatus() {
        assertThat(Outcome.ofStatus(200)).isEqualTo(Outcome.OK);
        assertThat(Outcome.ofStatus(429)).isEqualTo(Outcome.UPSTREAM_429);
        assertThat(Outcome.ofStatus(404)).isEqualTo(Outcome.UPSTREAM_4XX);
        assertThat(Outcome.ofStatus(503)).isEqualTo(Outcome.UPSTREAM_5XX);
        assertThat(Outcome.ofStatus(529)).isEqualTo(Outcome.UPSTREAM_5XX);
        assertThat(Outcome.UPSTREAM_429.label()).isEqualTo("upstream_429");
    }

    @Test
    void fedByADecoderTtftIsTheFirstContentNotTheRoleOnlyChunk() {
        StreamDecoder d = WireFormat.OPENAI_CHAT_SSE.newDecoder(t);
        feed(d, "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n", START + 100);
        feed(d, "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n", START + 400);
        feed(d, "data: {\"choices\":[{\"delta\":{\"content\":\" there\"}}]}\n", START + 450);
        feed(d, "\n", START + 470); // the blank line that completes the event arrives later
        feed(d, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n",
                START + 500);
        d.end(START + 510);
        t.end(START + 510, Outcome.OK);
        assertThat(t.ttfbNanos()).isEqualTo(100);
        assertThat(t.ttftNanos()).isEqualTo(400);
        assertThat(t.maxStallNanos()).isEqualTo(70);
        assertThat(t.tpotNanos()).isEqualTo(70);
        assertThat(t.usage()).isEqualTo(new Usage(4, 2, Usage.UNKNOWN, Usage.UNKNOWN));
        assertThat(t.sawDone()).isTrue();
        assertThat(t.e2eNanos()).isEqualTo(510);
    }

    private static void feed(StreamDecoder d, String s, long nanos) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        d.feed(b, 0, b.length, nanos);
    }
}
