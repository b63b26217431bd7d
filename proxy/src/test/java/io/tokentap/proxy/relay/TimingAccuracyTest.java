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
 * The proxy's TTFT and ITL against the upstream's own send timestamps (the ground truth). The target is
 * 2 ms on an idle machine; tests run on a shared, busy machine, so the bound here is 20 ms, which still fails if
 * the relay buffers (buffering collapses the 60 ms gaps, an error of about 60 ms). The measured errors are printed.
 */
@Timeout(30)
class TimingAccuracyTest extends RelayTestSupport {

    private static final Duration GAP = Duration.ofMillis(60);
    private static final long BOUND_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    @Test
    void ttftAndItlMatchTheUpstreamSendTimes() throws Exception {
        List<String> tokens = List.of("The", " quick", " brown", " fox", " jumps", " over", " the", " dog");
        start(req -> Sse.openAiChat("llama-test", tokens, GAP));
        long clientSent;
        try (RawClient client = new RawClient(proxyAddress)) {
            String req = RawClient.post("/v1/chat/completions", "{\"model\":\"llama-test\",\"stream\":true}")
                    .replace("Host: test.local\r\n", "Host: test.local\r\nConnection: close\r\n");
            clientSent = System.nanoTime();
            client.write(req);
            client.readInBackground(8192);
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

        // Send steps: 0 = role-only chunk, 1..n = content, then finish, usage, [DONE].
        List<Long> sent = upstream.sendNanos;
        long truthTtft = sent.get(1) - clientSent;
        long ttftError = t.ttftNanos() - truthTtft;
        List<Long> itlErrors = new ArrayList<>();
        assertThat(metrics.itlNanos).hasSize(tokens.size() - 1);
        for (int i = 0; i < tokens.size() - 1; i++) {
            long truthGap = sent.get(i + 2) - sent.get(i + 1);
            itlErrors.add(Math.abs(metrics.itlNanos.get(i) - truthGap));
        }
        Collections.sort(itlErrors);
        long firstTokenLag = t.firstTokenNanos() - sent.get(1);
        System.out.printf("TTFT proxy %.3f ms, truth %.3f ms, error %.3f ms; first token seen %.3f ms after sent;"
                        + " ITL |error| median %.3f ms, max %.3f ms over %d gaps%n",
                t.ttftNanos() / 1e6, truthTtft / 1e6, ttftError / 1e6, firstTokenLag / 1e6,
                itlErrors.get(itlErrors.size() / 2) / 1e6, itlErrors.get(itlErrors.size() - 1) / 1e6,
                itlErrors.size());
        assertThat(Math.abs(ttftError)).isLessThan(BOUND_NANOS);
        assertThat(firstTokenLag).isBetween(0L, BOUND_NANOS);
        assertThat(itlErrors.get(itlErrors.size() - 1)).isLessThan(BOUND_NANOS);
        assertThat(t.maxStallNanos()).isGreaterThan(GAP.toNanos() - BOUND_NANOS);
    }
}
