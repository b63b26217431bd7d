package io.tokentap.core.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.Outcome;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class SloTest {

    private static final long MS = 1_000_000;

    /** Start 0, tokens at 100, 120, 140 and 400 ms, end at 410 ms. */
    private static RequestTimeline stream(Outcome outcome) {
        RequestTimeline t = new RequestTimeline(0);
        for (long at : new long[] {100, 120, 140, 400}) {
            t.content(at * MS, ContentKind.TEXT, 1, null);
        }
        t.end(410 * MS, outcome);
        return t;
    }

    @Test
    void everyLimitMustHold() {
        RequestTimeline t = stream(Outcome.OK); // TTFT 100, TPOT 100, E2E 410, max stall 260
        assertThat(new Slo(Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(410),
                Duration.ofMillis(260)).isMetBy(t)).isTrue();
        assertThat(new Slo(Duration.ofMillis(99), null, null, null).isMetBy(t)).isFalse();
        assertThat(new Slo(null, Duration.ofMillis(99), null, null).isMetBy(t)).isFalse();
        assertThat(new Slo(null, null, Duration.ofMillis(409), null).isMetBy(t)).isFalse();
        assertThat(new Slo(null, null, null, Duration.ofMillis(259)).isMetBy(t)).as("a stall breaks smoothness")
                .isFalse();
    }

    @Test
    void failedOrErroredRequestsAreNeverGood() {
        assertThat(Slo.NONE.isMetBy(stream(Outcome.OK))).isTrue();
        assertThat(Slo.NONE.isMetBy(stream(Outcome.UPSTREAM_5XX))).isFalse();
        assertThat(Slo.NONE.isMetBy(stream(Outcome.CLIENT_CANCEL))).isFalse();
        RequestTimeline errored = stream(Outcome.OK);
        errored.error(0, "overloaded_error", "Overloaded");
        assertThat(Slo.NONE.isMetBy(errored)).isFalse();
    }

    @Test
    void undefinedFiguresPassExceptAMissingFirstToken() {
        RequestTimeline single = new RequestTimeline(0);
        single.content(50 * MS, ContentKind.TEXT, 0, null);
        single.end(60 * MS, Outcome.OK);
        Slo strict = new Slo(Duration.ofMillis(100), Duration.ofMillis(1), Duration.ofMillis(100), Duration.ofMillis(1));
        assertThat(strict.isMetBy(single)).as("no TPOT or stall to judge").isTrue();

        RequestTimeline empty = new RequestTimeline(0);
        empty.end(60 * MS, Outcome.OK);
        assertThat(strict.isMetBy(empty)).as("no first token at all").isFalse();
        assertThat(new Slo(null, null, Duration.ofMillis(100), null).isMetBy(empty)).isTrue();
    }

    @Test
    void rejectsNegativeLimits() {
        assertThatThrownBy(() -> new Slo(Duration.ofMillis(-1), null, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ttft: PT-0.001S (expected: a duration >= 0, or no limit)");
    }
}
