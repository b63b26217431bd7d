package io.tokentap.sim.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokentap.core.prom.PromMetricType;
import io.tokentap.core.prom.PromScrape;
import io.tokentap.core.prom.PromTextParser;
import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.StreamDecoder;
import io.tokentap.core.stream.StreamEventSink;
import io.tokentap.core.stream.Usage;
import io.tokentap.core.stream.WireFormat;
import io.tokentap.sim.profile.ProfileLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The simulator's streams and metrics, read back with the project's own decoders and Prometheus parser. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WireCompatibilityTest {
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    SimServer sim;

    @BeforeEach
    void start() throws Exception {
        sim = SimServer.start(new SimServer.Options(new ProfileLoader().load("tiny"), "127.0.0.1", 0, 50, null, false, 3, 1));
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    static final class Counts implements StreamEventSink {
        int contentEvents;
        int contentTokens;
        int empty;
        int done;
        Usage usage = Usage.NONE;

        @Override
        public void content(long nanos, ContentKind kind, int tokens, String text) {
            contentEvents++;
            contentTokens += tokens;
        }

        @Override
        public void empty(long nanos) {
            empty++;
        }

        @Override
        public void usage(long nanos, Usage u) {
            usage = usage.merge(u);
        }

        @Override
        public void error(long nanos, String type, String message) {}

        @Override
        public void done(long nanos) {
            done++;
        }
    }

    Counts decode(String path, String body, WireFormat format, String fault) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sim.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (fault != null) {
            b.header("x-tokentap-fault", fault);
        }
        byte[] bytes = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray()).body();
        Counts c = new Counts();
        StreamDecoder d = format.newDecoder(c);
        // Fed in 7-byte pieces: the decoders must not care where reads split the stream.
        for (int i = 0; i < bytes.length; i += 7) {
            d.feed(bytes, i, Math.min(7, bytes.length - i), System.nanoTime());
        }
        d.end(System.nanoTime());
        assertThat(d.malformedCount()).as("malformed lines in %s", new String(bytes, StandardCharsets.UTF_8))
                .isEqualTo(fault == null ? 0 : 1);
        return c;
    }

    @Test
    void chatStreamDecodesToItsUsage() throws Exception {
        Counts c = decode("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"stream\":true,\"max_tokens\":12,\"ignore_eos\":true,\"stream_options\":{\"include_usage\":true}}",
                WireFormat.OPENAI_CHAT_SSE, null);
        assertThat(c.contentEvents).isEqualTo(12);
        assertThat(c.usage.outputTokens()).isEqualTo(12);
        assertThat(c.usage.inputTokens()).isEqualTo(7);
        assertThat(c.empty).isGreaterThanOrEqualTo(1); // the role-only chunk is not content
        assertThat(c.done).isEqualTo(1);
    }

    @Test
    void completionsAndAnthropicStreamsDecode() throws Exception {
        Counts c = decode("/v1/completions", "{\"model\":\"m\",\"prompt\":\"hi\",\"stream\":true,\"max_tokens\":9,"
                + "\"ignore_eos\":true,\"stream_options\":{\"include_usage\":true}}", WireFormat.OPENAI_COMPLETIONS_SSE, null);
        assertThat(c.contentEvents).isEqualTo(9);
        assertThat(c.usage.outputTokens()).isEqualTo(9);
        Counts a = decode("/v1/messages", "{\"model\":\"m\",\"max_tokens\":8,\"stream\":true,\"ignore_eos\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", WireFormat.ANTHROPIC_SSE, null);
        assertThat(a.contentEvents).isEqualTo(8);
        assertThat(a.usage.outputTokens()).isEqualTo(8);
        assertThat(a.done).isEqualTo(1);
    }

    @Test
    void theMalformedFaultIsSeenAsOneMalformedLine() throws Exception {
        Counts c = decode("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"stream\":true,\"max_tokens\":5,\"ignore_eos\":true}", WireFormat.OPENAI_CHAT_SSE, "malformed=true");
        assertThat(c.contentEvents).isEqualTo(5);
    }

    @Test
    void metricsParseCleanlyWithTheirTypes() throws Exception {
        client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sim.port() + "/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"prompt\":\"hi\",\"max_tokens\":4}")).build(),
                HttpResponse.BodyHandlers.ofString());
        String body = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sim.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        PromScrape s = PromTextParser.parse(body);
        assertThat(s.errors()).isEmpty();
        assertThat(s.type("vllm:num_requests_running")).isEqualTo(PromMetricType.GAUGE);
        assertThat(s.type("vllm:kv_cache_usage_perc")).isEqualTo(PromMetricType.GAUGE);
        assertThat(s.type("vllm:time_to_first_token_seconds")).isEqualTo(PromMetricType.HISTOGRAM);
        assertThat(s.samples("vllm:generation_tokens_total").get(0).value()).isGreaterThanOrEqualTo(1);
        assertThat(s.samples("vllm:generation_tokens_total").get(0).label("model_name")).isEqualTo("tokentap/tiny");
        assertThat(s.samples("vllm:cache_config_info").get(0).label("num_gpu_blocks")).isEqualTo("286");
        PromScrape d = PromTextParser.parse(client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + sim.port() + "/dcgm/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(d.errors()).isEmpty();
        double used = d.samples("DCGM_FI_DEV_FB_USED").get(0).value();
        double free = d.samples("DCGM_FI_DEV_FB_FREE").get(0).value();
        assertThat(used + free).isCloseTo(256, org.assertj.core.data.Offset.offset(1.0)); // 0.25 GiB in MiB
    }
}
