package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tokentap.core.stream.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The proxy's TTFT and ITL against the upstream's own timestamps (the ground truth): TTFT from the time the upstream
 * read the request to its send of the first content event, ITL from its sends of consecutive content events.
 *
 * <p>The target is 2 ms on an idle machine. These tests run on a shared 2-core machine under heavy load and
 * with Netty's paranoid leak detector (which records a stack trace on buffer accesses), so the bound here is 40 ms:
 * loose enough to hold there, and still well under the 100 ms gaps that buffering would collapse to zero. The
 * measured errors are printed for the record.
 */
@Timeout(30)
class TimingAccuracyTest extends RelayTestSupport {

    private static final Duration GAP = Duration.ofMillis(100);
    private static final long BOUND_NANOS = TimeUnit.MILLISECONDS.toNanos(40);
    private static final int ROUNDS = 3;

    private List<Long> lastItlErrors = List.of();

    @Test
    void ttftAndItlMatchTheUpstreamSendTimes() throws Exception {
        List<String> tokens = List.of("The", " quick", " brown", " fox", " jumps", " over", " the", " dog");
        start(req -> Sse.openAiChat("llama-test", tokens, GAP));
        // The first request pays for class loading and the first upstream connection; it is not measured.
        measure(tokens);
        long bestTtftError = Long.MAX_VALUE;
        List<Long> allItlErrors = new ArrayList<>();
        for (int round = 1; round <= ROUNDS; round++) {
            long[] e = measure(tokens);
            System.out.printf("round %d: TTFT error %.3f ms (request reached the upstream %.3f ms after the proxy"
                            + " read it, first token read %.3f ms after it was sent); ITL |error| median %.3f ms,"
                            + " max %.3f ms over %d gaps%n", round, e[0] / 1e6, e[4] / 1e6, e[1] / 1e6,
                    e[2] / 1e6, e[3] / 1e6, tokens.size() - 1);
            bestTtftError = Math.min(bestTtftError, Math.abs(e[0]));
            allItlErrors.addAll(lastItlErrors);
        }
        Collections.sort(allItlErrors);
        long median = allItlErrors.get(allItlErrors.size() / 2);
        long p90 = allItlErrors.get(allItlErrors.size() * 9 / 10);
        System.out.printf("over %d rounds: best TTFT |error| %.3f ms; ITL |error| median %.3f ms, p90 %.3f ms%n",
                ROUNDS, bestTtftError / 1e6, median / 1e6, p90 / 1e6);
        // One scheduling stall on a loaded machine may hit a round; buffering would hit every round and every gap.
        assertThat(bestTtftError).isLessThan(BOUND_NANOS);
        assertThat(median).isLessThan(BOUND_NANOS);
        assertThat(p90).isLessThan(GAP.toNanos() / 2 + BOUND_NANOS);
    }

    /**
     * One streamed request; returns {TTFT error, first-token read lag, median |ITL error|, max |ITL error|, request
     * lag through the proxy, client-to-proxy lag} in nanoseconds. The TTFT truth is the upstream's own: its send
     * time of the first content event minus the time it read the request.
     */
    private long[] measure(List<String> tokens) throws Exception {
        metrics.itlNanos.clear();
        int sendsBefore = upstream.sendNanos.size();
        long clientSent;
        try (RawClient client = new RawClient(proxyAddress)) {
            String req = RawClient.post("/v1/chat/completions", "{\"model\":\"llama-test\",\"stream\":true}")
                    .replace("Host: test.local\r\n", "Host: test.local\r\nConnection: close\r\n");
            client.readInBackground(8192);
            clientSent = System.nanoTime();
            client.write(req);
            await().atMost(Duration.ofSeconds(10)).until(() -> client.eof);
            assertThat(client.text()).contains("data: [DONE]");
        }
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f).isNotNull();
        var t = f.timeline();
        assertThat(t.outcome()).isEqualTo(Outcome.OK);
        assertThat(t.contentEvents()).isEqualTo(tokens.size());
        assertThat(t.usage().outputTokens()).isEqualTo(tokens.size());
        assertThat(t.sawDone()).isTrue();
        assertThat(t.maxStallNanos()).isGreaterThan(GAP.toNanos() - BOUND_NANOS);

        // Send steps of this request: 0 = role-only chunk, 1..n = content, then finish, usage, [DONE].
        List<Long> sent = upstream.sendNanos.subList(sendsBefore, upstream.sendNanos.size());
        ScriptedUpstream.Received received = upstream.received.stream().reduce((a, b) -> b).orElseThrow();
        long truthTtft = sent.get(1) - received.headNanos();
        List<Long> itlErrors = new ArrayList<>();
        assertThat(metrics.itlNanos).hasSize(tokens.size() - 1);
        for (int i = 0; i < tokens.size() - 1; i++) {
            long truthGap = sent.get(i + 2) - sent.get(i + 1);
            itlErrors.add(Math.abs(metrics.itlNanos.get(i) - truthGap));
        }
        lastItlErrors = List.copyOf(itlErrors);
        Collections.sort(itlErrors);
        return new long[] {t.ttftNanos() - truthTtft, t.firstTokenNanos() - sent.get(1),
            itlErrors.get(itlErrors.size() / 2), itlErrors.get(itlErrors.size() - 1),
            received.headNanos() - t.startNanos(), t.startNanos() - clientSent};
    }
}
