package io.tokentap.sim.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.sim.profile.Profile;
import io.tokentap.sim.profile.ProfileLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SimServerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    SimServer sim;

    SimServer start(Profile profile, double timeScale, boolean truth) throws Exception {
        sim = SimServer.start(new SimServer.Options(profile, "127.0.0.1", 0, timeScale, null, truth, 7, 1));
        return sim;
    }

    SimServer startTiny() throws Exception {
        return start(new ProfileLoader().load("tiny"), 20, true);
    }

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close();
        }
    }

    HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sim.port() + path))
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("content-type", "application/json");
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sim.port() + path))
                .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static List<String> dataLines(String sse) {
        List<String> out = new ArrayList<>();
        for (String line : sse.split("\n")) {
            if (line.startsWith("data: ")) {
                out.add(line.substring(6));
            }
        }
        return out;
    }

    static JsonNode error(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body()).get("error");
    }

    @Test
    void badRequestsGetOpenAiStyle400s() throws Exception {
        startTiny();
        HttpResponse<String> r = post("/v1/chat/completions", "{not json");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error(r).get("code").asText()).isEqualTo("invalid_json");

        r = post("/v1/chat/completions", "{\"model\":\"m\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).get("param").asText()).isEqualTo("messages");
        assertThat(error(r).get("message").asText()).contains("Missing required parameter: 'messages'");

        r = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":-3}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).get("param").asText()).isEqualTo("max_tokens");
        assertThat(error(r).get("code").asText()).isEqualTo("integer_below_min_value");

        r = post("/v1/completions", "{\"model\":\"m\",\"max_tokens\":3}");
        assertThat(error(r).get("param").asText()).isEqualTo("prompt");

        r = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":100000}");
        assertThat(error(r).get("code").asText()).isEqualTo("context_length_exceeded");

        r = post("/v1/messages", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode a = JSON.readTree(r.body());
        assertThat(a.get("type").asText()).isEqualTo("error");
        assertThat(a.get("error").get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(a.get("error").get("message").asText()).contains("max_tokens");
    }

    @Test
    void chatStreamHasRoleOnlyFirstChunkUsageChunkAndDone() throws Exception {
        startTiny();
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hello there\"}],\"stream\":true,\"max_completion_tokens\":6,\"ignore_eos\":true,"
                + "\"stream_options\":{\"include_usage\":true}}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        List<String> data = dataLines(r.body());
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        JsonNode first = JSON.readTree(data.get(0));
        assertThat(first.at("/choices/0/delta").toString()).isEqualTo("{\"role\":\"assistant\",\"content\":\"\"}");
        assertThat(first.get("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(first.get("usage").isNull()).isTrue();
        List<JsonNode> content = new ArrayList<>();
        for (String d : data.subList(1, data.size() - 3)) {
            content.add(JSON.readTree(d));
        }
        assertThat(content).hasSize(6).allSatisfy(c -> assertThat(c.at("/choices/0/delta/content").asText()).isNotEmpty());
        JsonNode fin = JSON.readTree(data.get(data.size() - 3));
        assertThat(fin.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        JsonNode usage = JSON.readTree(data.get(data.size() - 2));
        assertThat(usage.get("choices")).isEmpty();
        assertThat(usage.at("/usage/completion_tokens").asInt()).isEqualTo(6);
        assertThat(usage.at("/usage/prompt_tokens").asInt()).isEqualTo(3 + 3 + 2 + 2); // framing + "hello" + "there"
        assertThat(usage.at("/usage/total_tokens").asInt()).isEqualTo(16);
    }

    @Test
    void streamWithoutIncludeUsageHasNoUsageChunk() throws Exception {
        startTiny();
        HttpResponse<String> r = post("/v1/completions", "{\"model\":\"m\",\"prompt\":\"one two\",\"stream\":true,\"max_tokens\":4}");
        List<String> data = dataLines(r.body());
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        assertThat(r.body()).doesNotContain("\"usage\"").doesNotContain("\"role\"");
        assertThat(JSON.readTree(data.get(0)).get("object").asText()).isEqualTo("text_completion");
    }

    @Test
    void nonStreamingAnswersCarryUsage() throws Exception {
        startTiny();
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\"}],\"max_tokens\":5,\"ignore_eos\":true}");
        JsonNode b = JSON.readTree(r.body());
        assertThat(b.get("object").asText()).isEqualTo("chat.completion");
        assertThat(b.at("/usage/completion_tokens").asInt()).isEqualTo(5);
        assertThat(b.at("/choices/0/message/content").asText().split(" ")).hasSize(5);
    }

    @Test
    void anthropicStreamHasTheMessagesEventSequence() throws Exception {
        startTiny();
        HttpResponse<String> r = post("/v1/messages", "{\"model\":\"m\",\"max_tokens\":3,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "anthropic-version", "2023-06-01");
        List<String> events = new ArrayList<>();
        for (String line : r.body().split("\n")) {
            if (line.startsWith("event: ")) {
                events.add(line.substring(7));
            }
        }
        assertThat(events.get(0)).isEqualTo("message_start");
        assertThat(events.subList(1, 3)).containsExactly("content_block_start", "ping");
        assertThat(events.subList(events.size() - 3, events.size()))
                .containsExactly("content_block_stop", "message_delta", "message_stop");
        assertThat(events.stream().filter("content_block_delta"::equals).count()).isBetween(1L, 3L);
        String delta = dataLines(r.body()).get(dataLines(r.body()).size() - 2);
        assertThat(JSON.readTree(delta).at("/usage/output_tokens").asInt()).isBetween(1, 3);
    }

    @Test
    void metricsUseVllmNamesAndShowTheTimeScale() throws Exception {
        startTiny();
        post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3}");
        String m = get("/metrics").body();
        for (String name : List.of("vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc")) {
            assertThat(m).contains("# TYPE " + name + " gauge").contains(name + "{engine=\"0\",model_name=\"tokentap/tiny\"}");
        }
        for (String name : List.of("vllm:num_preemptions_total", "vllm:prompt_tokens_total", "vllm:generation_tokens_total")) {
            assertThat(m).contains("# TYPE " + name + " counter");
        }
        for (String name : List.of("vllm:time_to_first_token_seconds", "vllm:inter_token_latency_seconds",
                "vllm:e2e_request_latency_seconds")) {
            assertThat(m).contains("# TYPE " + name + " histogram").contains(name + "_bucket{").contains(name + "_count{");
        }
        assertThat(m).contains("vllm:e2e_request_latency_seconds_count{engine=\"0\",model_name=\"tokentap/tiny\"} 1.0");
        assertThat(m).containsPattern("vllm:cache_config_info\\{block_size=\"16\",.*num_gpu_blocks=\"286\"} 1.0");
        assertThat(m).contains("tokentap_sim_time_scale{engine=\"0\",model_name=\"tokentap/tiny\"} 20.0");
        String d = get("/dcgm/metrics").body();
        for (String name : List.of("DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_POWER_USAGE")) {
            assertThat(d).contains("# TYPE " + name + " gauge").contains(name + "{gpu=\"0\"");
        }
        assertThat(get("/health").statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(get("/v1/models").body()).at("/data/0/id").asText()).isEqualTo("tokentap/tiny");
    }

    @Test
    void injectedStatusFaultCarriesRetryAfter() throws Exception {
        startTiny();
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\"}],\"max_tokens\":3}", "x-tokentap-fault", "status=503;retry_after=2");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("retry-after")).hasValue("2");
        r = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "x-tokentap-fault", "bogus=1");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).get("message").asText()).contains("bogus");
    }

    @Test
    void disconnectAfterClosesTheStreamEarly() throws Exception {
        startTiny();
        String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,"
                + "\"max_tokens\":40,\"ignore_eos\":true}";
        String raw;
        // A raw socket: an HTTP client library may drop what it buffered when the body ends early.
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", sim.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "x-tokentap-fault: disconnect_after=5\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            raw = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        assertThat(raw).startsWith("HTTP/1.1 200");
        long content = raw.lines().filter(l -> l.contains("\"content\":\"") && !l.contains("\"role\"")).count();
        assertThat(content).isEqualTo(5);
        assertThat(raw).doesNotContain("[DONE]");
        await().atMost(Duration.ofSeconds(5)).until(() -> sim.engine().state().running() == 0);
    }

    @Test
    void malformedLineStallAndSlowFirstToken() throws Exception {
        start(new ProfileLoader().load("tiny"), 1, true);
        long t0 = System.nanoTime();
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\"}],\"stream\":true,\"max_tokens\":200,\"ignore_eos\":true}", "x-tokentap-fault",
                "malformed=true;stall_ms=300;stall_after=2;slow_first_token_ms=200");
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(elapsedMs).isGreaterThanOrEqualTo(480);
        List<String> data = dataLines(r.body());
        assertThat(data).anySatisfy(d -> assertThat(d).startsWith("{\"id\":\"chatcmpl-").endsWith("{\"content"));
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    }

    @Test
    void groundTruthRecordsEveryTokenUnderTheClientRequestId() throws Exception {
        startTiny();
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\"}],\"stream\":true,\"max_tokens\":7,\"ignore_eos\":true}", "x-request-id", "req-42");
        assertThat(r.headers().firstValue("x-request-id")).hasValue("req-42");
        JsonNode truth = JSON.readTree(get("/ground-truth").body());
        JsonNode mine = null;
        for (JsonNode t : truth) {
            if (t.get("request_id").asText().equals("req-42")) {
                mine = t;
            }
        }
        assertThat(mine).isNotNull();
        assertThat(mine.get("response_id").asText()).startsWith("chatcmpl-");
        int tokens = 0;
        long prev = Long.MIN_VALUE;
        for (JsonNode e : mine.get("events")) {
            assertThat(e.get(0).asLong()).isGreaterThanOrEqualTo(prev);
            prev = e.get(0).asLong();
            tokens += e.get(2).asInt();
        }
        assertThat(tokens).isEqualTo(7);
    }

    @Test
    void timeScaleStretchesOrShrinksModelTime() throws Exception {
        // tiny: a decode step is 1 ms overhead + 200 MB / 224 GB/s ≈ 1.9 ms; at a scale of 0.1 it takes ≥ 19 ms.
        start(new ProfileLoader().load("tiny"), 0.1, false);
        long t0 = System.nanoTime();
        post("/v1/completions", "{\"model\":\"m\",\"prompt\":\"hi\",\"max_tokens\":20,\"ignore_eos\":true}");
        long slowMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(slowMs).isGreaterThanOrEqualTo(20 * 19);
        assertThat(get("/metrics").body()).contains("tokentap_sim_time_scale{engine=\"0\",model_name=\"tokentap/tiny\"} 0.1");
    }

    @Test
    void aFullQueueAnswers429WithRetryAfterWhenTheProfileSaysSo() throws Exception {
        String yaml = new String(getClass().getResourceAsStream("/io/tokentap/sim/profiles/tiny.yaml").readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8)
                .replace("max_waiting: 256", "max_waiting: 0")
                .replace("reject_status: 503", "reject_status: 429")
                .replace("retry_after_seconds: 1", "retry_after_seconds: 7");
        start(new ProfileLoader().parse(yaml, "tiny-429.yaml", "tiny-429"), 20, false);
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\"}],\"max_tokens\":3,\"stream\":true}");
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.headers().firstValue("retry-after")).hasValue("7");
        assertThat(error(r).get("type").asText()).isEqualTo("rate_limit_error");
        assertThat(get("/metrics").body()).contains("tokentap_sim_rejected_requests_total{engine=\"0\",model_name=\"tokentap/tiny\"} 1.0");
    }

    @Test
    void theKvWallShowsInMetricsAsPreemptions() throws Exception {
        start(new ProfileLoader().load("tiny"), 20, false);
        // 10 requests growing to 100 + 900 tokens against a 4,576-token cache.
        StringBuilder prompt = new StringBuilder();
        for (int i = 0; i < 94; i++) {
            prompt.append("the ");
        }
        String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt
                + "\"}],\"max_tokens\":900,\"ignore_eos\":true}";
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            all.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sim.port()
                    + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (var f : all) {
            HttpResponse<String> r = f.get(20, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).at("/usage/completion_tokens").asInt()).isEqualTo(900);
            assertThat(JSON.readTree(r.body()).at("/usage/prompt_tokens").asInt()).isEqualTo(100);
        }
        String m = get("/metrics").body();
        assertThat(m).containsPattern("vllm:num_preemptions_total\\{engine=\"0\",model_name=\"tokentap/tiny\"} [1-9]");
        assertThat(m).contains("vllm:kv_cache_usage_perc{engine=\"0\",model_name=\"tokentap/tiny\"} 0.0");
    }

    @Test
    void groundTruthFileGetsOneJsonLinePerRequest(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("truth.jsonl");
        sim = SimServer.start(new SimServer.Options(new ProfileLoader().load("tiny"), "127.0.0.1", 0, 50, file, true, 7, 1));
        for (int i = 0; i < 3; i++) {
            post("/v1/completions", "{\"model\":\"m\",\"prompt\":\"hi\",\"stream\":true,\"max_tokens\":4,\"ignore_eos\":true}",
                    "x-request-id", "file-" + i);
        }
        sim.close();
        sim = null;
        List<String> lines = java.nio.file.Files.readAllLines(file);
        assertThat(lines).hasSize(3);
        for (int i = 0; i < 3; i++) {
            JsonNode line = JSON.readTree(lines.get(i));
            assertThat(line.get("request_id").asText()).isEqualTo("file-" + i);
            int tokens = 0;
            for (JsonNode e : line.get("events")) {
                tokens += e.get(2).asInt();
                assertThat(e.get(1).asLong()).isGreaterThan(1_600_000_000_000L); // epoch millis
            }
            assertThat(tokens).isEqualTo(4);
        }
    }

    @Test
    void profileFaultsApplyToEveryRequestAndTheHeaderOverridesThem() throws Exception {
        String yaml = new String(getClass().getResourceAsStream("/io/tokentap/sim/profiles/tiny.yaml").readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8) + "faults:\n  status: 500\n  rate: 1.0\n";
        start(new ProfileLoader().parse(yaml, "tiny-500.yaml", "tiny-500"), 20, false);
        String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3}";
        assertThat(post("/v1/chat/completions", body).statusCode()).isEqualTo(500);
        assertThat(post("/v1/chat/completions", body, "x-tokentap-fault", "rate=0").statusCode()).isEqualTo(200);
        assertThat(get("/ground-truth").statusCode()).isEqualTo(404);
    }
}
