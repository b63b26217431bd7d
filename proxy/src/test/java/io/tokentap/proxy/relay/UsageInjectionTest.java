package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import io.tokentap.core.stream.Outcome;
import io.tokentap.core.stream.Usage;
import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.protect.Protection;
import io.tokentap.proxy.protect.ProtectionConfig;
import io.tokentap.proxy.protect.breaker.UpstreamBreaker;
import io.tokentap.proxy.protect.shed.UpstreamSignals;
import io.tokentap.proxy.relay.ScriptedUpstream.Script;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Usage injection with the official OpenAI Java SDK: a streamed chat request without
 * {@code stream_options.include_usage} gets it upstream, the proxy's metrics get the server's exact usage, and the
 * client gets exactly the stream the server sends to a client that did not ask (no usage chunk, no
 * {@code "usage":null}). A client that asks for usage gets it; with injection off nothing is added.
 */
@Timeout(60)
class UsageInjectionTest extends RelayTestSupport {

    private static final List<String> TOKENS = List.of("Hello", ",", " a", " streamed", " \"answer\"", ".");
    private static final String HEAD = "{\"id\":\"chatcmpl-u1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-test\",\"choices\":";

    /** What an OpenAI-compatible server sends: with include_usage, a usage chunk and "usage":null on every chunk. */
    private static Script chat(boolean usage) {
        String tail = usage ? ",\"usage\":null}\n\n" : "}\n\n";
        Script s = Script.sse();
        s.send("data: " + HEAD + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                + "\"finish_reason\":null}]" + tail);
        for (String t : TOKENS) {
            s.pause(Duration.ofMillis(2));
            s.send("data: " + HEAD + "[{\"index\":0,\"delta\":{\"content\":" + Sse.json(t)
                    + "},\"finish_reason\":null}]" + tail);
        }
        s.send("data: " + HEAD + "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]" + tail);
        if (usage) {
            // Split mid-line, as a real server's writes may be.
            s.send("data: " + HEAD + "[],\"usage\":{\"prompt_tokens\":12,");
            s.pause(Duration.ofMillis(20));
            s.send("\"completion_tokens\":" + TOKENS.size() + ",\"total_tokens\":" + (12 + TOKENS.size()) + "}}\n\n");
        }
        s.send("data: [DONE]\n\n");
        return s.end();
    }

    private static String unasked() {
        StringBuilder b = new StringBuilder();
        b.append("data: ").append(HEAD).append("[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},")
                .append("\"finish_reason\":null}]}\n\n");
        for (String t : TOKENS) {
            b.append("data: ").append(HEAD).append("[{\"index\":0,\"delta\":{\"content\":").append(Sse.json(t))
                    .append("},\"finish_reason\":null}]}\n\n");
        }
        b.append("data: ").append(HEAD).append("[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
        return b.append("data: [DONE]\n\n").toString();
    }

    private void startProtected(UnaryOperator<ProtectionConfig> tweak) throws Exception {
        upstream = new ScriptedUpstream(upstreamLoop,
                req -> chat(req.body().replace(" ", "").contains("\"include_usage\":true")));
        upstream.start();
        metrics = new RecordingMetrics();
        Protection protection = new Protection(tweak.apply(ProtectionConfig.defaults()), metrics,
                UpstreamSignals.NONE, "upstream", System::nanoTime, new Random(3), Runnable::run,
                UpstreamBreaker.Listener.NONE);
        proxy = new ProxyServer(ProxyConfig.forUpstream(upstream.url()), metrics, boss, workers,
                new WireFormatTap(1 << 20), RequestLog.NONE, protection);
        proxyAddress = proxy.start();
    }

    private record Seen(String text, List<CompletionUsage> usage) {
    }

    private Seen stream(boolean askForUsage) {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(proxyUrl() + "/v1").apiKey("sk-test")
                .maxRetries(0).build();
        try {
            ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder()
                    .model("gpt-test")
                    .addUserMessage("Say hello");
            if (askForUsage) {
                params.streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build());
            }
            StringBuilder text = new StringBuilder();
            List<CompletionUsage> usage = new ArrayList<>();
            try (com.openai.core.http.StreamResponse<ChatCompletionChunk> stream =
                         client.chat().completions().createStreaming(params.build())) {
                stream.stream().forEach(chunk -> {
                    chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append));
                    chunk.usage().ifPresent(usage::add);
                });
            }
            return new Seen(text.toString(), usage);
        } finally {
            client.close();
        }
    }

    @Test
    void aClientThatDidNotAskGetsNoUsageWhileTheMetricsGetTheExactCounts() throws Exception {
        startProtected(c -> c);
        Seen seen = stream(false);
        assertThat(seen.text()).isEqualTo(String.join("", TOKENS));
        assertThat(seen.usage()).as("the usage chunk the proxy added is not the client's").isEmpty();
        assertThat(upstream.received.peek().body()).contains("\"stream_options\":{\"include_usage\":true}");

        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f.timeline().outcome()).isEqualTo(Outcome.OK);
        assertThat(f.timeline().usage().inputTokens()).isEqualTo(12);
        assertThat(f.timeline().usage().outputTokens()).isEqualTo(TOKENS.size());

        // Byte for byte, the stream the server sends a client that did not ask for usage.
        HttpResponse<String> raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(proxyUrl() + "/v1/chat/completions"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-test\",\"stream\":true,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(raw.statusCode()).isEqualTo(200);
        assertThat(raw.body()).isEqualTo(unasked());
        assertThat(metrics.finished.poll(5, TimeUnit.SECONDS).timeline().usage().outputTokens())
                .isEqualTo(TOKENS.size());
    }

    @Test
    void aClientThatAskedGetsTheUsageChunkAsTheServerSentIt() throws Exception {
        startProtected(c -> c);
        Seen seen = stream(true);
        assertThat(seen.text()).isEqualTo(String.join("", TOKENS));
        assertThat(seen.usage()).hasSize(1);
        assertThat(seen.usage().get(0).completionTokens()).isEqualTo(TOKENS.size());
        assertThat(seen.usage().get(0).promptTokens()).isEqualTo(12);
        assertThat(metrics.finished.poll(5, TimeUnit.SECONDS).timeline().usage().inputTokens()).isEqualTo(12);
    }

    @Test
    void switchedOffTheRequestGoesUpAsItCame() throws Exception {
        startProtected(c -> c.withInjectUsage(false));
        Seen seen = stream(false);
        assertThat(seen.text()).isEqualTo(String.join("", TOKENS));
        assertThat(seen.usage()).isEmpty();
        assertThat(upstream.received.peek().body()).doesNotContain("include_usage");
        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f.timeline().usage().inputTokens()).isEqualTo(Usage.UNKNOWN);
    }
}
