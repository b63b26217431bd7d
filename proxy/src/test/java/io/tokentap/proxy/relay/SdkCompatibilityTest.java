package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.tokentap.core.stream.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The official SDKs stream through the proxy and get exactly what they get from the server directly. */
@Timeout(60)
class SdkCompatibilityTest extends RelayTestSupport {

    private static final List<String> TOKENS = List.of("Hello", ",", " I'm", " a", " streamed", " answer", " \u00e9\u2713",
            ".");

    @Test
    void openAiSdkStreamsChatCompletionThroughTheProxy() throws Exception {
        start(req -> req.uri().endsWith("/chat/completions")
                ? Sse.openAiChat("gpt-test", TOKENS, Duration.ofMillis(5))
                : ScriptedUpstream.Script.fixed(404, "application/json", "{}"));
        String direct = openAiText(upstream.url() + "/v1");
        String proxied = openAiText(proxyUrl() + "/v1");
        assertThat(direct).isEqualTo(String.join("", TOKENS));
        assertThat(proxied).isEqualTo(direct);

        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f).isNotNull();
        assertThat(f.model()).isEqualTo("gpt-test");
        assertThat(f.timeline().outcome()).isEqualTo(Outcome.OK);
        assertThat(f.timeline().contentEvents()).isEqualTo(TOKENS.size());
        assertThat(f.timeline().usage().inputTokens()).isEqualTo(12);
        ScriptedUpstream.Received viaProxy = upstream.received.stream().skip(1).findFirst().orElseThrow();
        assertThat(viaProxy.headers().get("Authorization")).isEqualTo("Bearer sk-test");
    }

    @Test
    void anthropicSdkStreamsMessagesThroughTheProxy() throws Exception {
        start(req -> req.uri().startsWith("/v1/messages")
                ? Sse.anthropic("claude-test", TOKENS, Duration.ofMillis(5))
                : ScriptedUpstream.Script.fixed(404, "application/json", "{}"));
        String direct = anthropicText(upstream.url());
        String proxied = anthropicText(proxyUrl());
        assertThat(direct).isEqualTo(String.join("", TOKENS));
        assertThat(proxied).isEqualTo(direct);

        RecordingMetrics.Finished f = metrics.finished.poll(5, TimeUnit.SECONDS);
        assertThat(f).isNotNull();
        assertThat(f.model()).isEqualTo("claude-test");
        assertThat(f.timeline().outcome()).isEqualTo(Outcome.OK);
        assertThat(f.timeline().contentEvents()).isEqualTo(TOKENS.size());
        assertThat(f.timeline().outputTokens()).isEqualTo(TOKENS.size());
        assertThat(f.timeline().sawDone()).isTrue();
    }

    private static String openAiText(String baseUrl) {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(baseUrl).apiKey("sk-test").maxRetries(0).build();
        try {
            ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                    .model("gpt-test")
                    .addUserMessage("Say hello")
                    .build();
            StringBuilder text = new StringBuilder();
            try (com.openai.core.http.StreamResponse<ChatCompletionChunk> stream =
                         client.chat().completions().createStreaming(params)) {
                stream.stream().forEach(chunk -> chunk.choices()
                        .forEach(c -> c.delta().content().ifPresent(text::append)));
            }
            return text.toString();
        } finally {
            client.close();
        }
    }

    private static String anthropicText(String baseUrl) {
        AnthropicClient client = AnthropicOkHttpClient.builder().baseUrl(baseUrl).apiKey("sk-ant-test")
                .maxRetries(0).build();
        try {
            MessageCreateParams params = MessageCreateParams.builder()
                    .model("claude-test")
                    .maxTokens(256)
                    .addUserMessage("Say hello")
                    .build();
            StringBuilder text = new StringBuilder();
            try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(params)) {
                stream.stream().forEach(e -> e.contentBlockDelta()
                        .flatMap(d -> d.delta().text())
                        .ifPresent(t -> text.append(t.text())));
            }
            return text.toString();
        } finally {
            client.close();
        }
    }
}
