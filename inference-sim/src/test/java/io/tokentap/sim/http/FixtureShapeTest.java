package io.tokentap.sim.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.sim.profile.ProfileLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The simulator's streams against real captures (copied from /work/shared/fixtures): the same event order, and every
 * field the real service sends in an event is in ours too (bar a few account-level extras listed below).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FixtureShapeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Fields of the real services the simulator leaves out: billing tiers, obfuscation padding, refusals. */
    static final List<String> EXTRAS = List.of("service_tier", "obfuscation", "refusal", "cache_creation",
            "prompt_tokens_details", "completion_tokens_details");

    final HttpClient client = HttpClient.newHttpClient();
    SimServer sim;

    @BeforeEach
    void start() throws Exception {
        sim = SimServer.start(new SimServer.Options(new ProfileLoader().load("tiny"), "127.0.0.1", 0, 50, null, false, 5, 1));
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    String fixture(String name) throws Exception {
        return new String(getClass().getResourceAsStream("/fixtures/" + name).readAllBytes(), StandardCharsets.UTF_8);
    }

    String post(String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sim.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Event name to its data, first of each name, and the order of names (runs of deltas and pings collapsed). */
    static Map<String, JsonNode> events(String sse, List<String> order) throws Exception {
        Map<String, JsonNode> first = new LinkedHashMap<>();
        String event = null;
        for (String raw : sse.split("\n")) {
            String line = raw.trim();
            if (line.startsWith("event: ")) {
                event = line.substring(7);
            } else if (line.startsWith("data: ") && event != null) {
                JsonNode data = JSON.readTree(line.substring(6));
                boolean text = !event.startsWith("content_block")
                        || data.at("/content_block/type").asText("text").equals("text")
                        && data.at("/delta/type").asText("text_delta").equals("text_delta");
                if (text && !event.equals("ping")) {
                    first.putIfAbsent(event, data);
                    if (order.isEmpty() || !order.get(order.size() - 1).equals(event)) {
                        order.add(event);
                    }
                }
                event = null;
            }
        }
        return first;
    }

    static TreeSet<String> paths(JsonNode node, String prefix, TreeSet<String> out) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String p = prefix + e.getKey();
                if (!EXTRAS.contains(e.getKey())) {
                    out.add(p);
                    paths(e.getValue(), p + ".", out);
                }
            }
        }
        return out;
    }

    @Test
    void anthropicStreamMatchesTheCapturedOne() throws Exception {
        List<String> realOrder = new ArrayList<>();
        Map<String, JsonNode> real = events(fixture("anthropic_messages_sse__pydantic-ai__test_anthropic_model_thinking_part_redacted_stream.yaml"), realOrder);
        List<String> ourOrder = new ArrayList<>();
        Map<String, JsonNode> ours = events(post("/v1/messages", "{\"model\":\"m\",\"max_tokens\":6,\"stream\":true,"
                + "\"ignore_eos\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), ourOrder);
        // The capture's thinking blocks (whose stops cannot be told apart by their data) aside, the order is the same.
        assertThat(ourOrder).containsExactly("message_start", "content_block_start", "content_block_delta",
                "content_block_stop", "message_delta", "message_stop");
        assertThat(realOrder).containsSubsequence(ourOrder);
        for (String name : ourOrder) {
            assertThat(paths(ours.get(name), "", new TreeSet<>())).as(name)
                    .containsAll(paths(real.get(name), "", new TreeSet<>()));
        }
    }

    @Test
    void openAiChatChunksCarryTheCapturedFields() throws Exception {
        List<JsonNode> real = new ArrayList<>();
        for (String raw : fixture("openai_chat_sse_cassette__envoy-ai-gateway__chat-streaming-detailed-usage.yaml").split("\n")) {
            String line = raw.trim();
            if (line.startsWith("data: {")) {
                real.add(JSON.readTree(line.substring(6)));
            }
        }
        List<JsonNode> ours = new ArrayList<>();
        for (String line : post("/v1/chat/completions", "{\"model\":\"m\",\"stream\":true,\"max_tokens\":3,\"ignore_eos\":true,"
                + "\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").split("\n")) {
            if (line.startsWith("data: {")) {
                ours.add(JSON.readTree(line.substring(6)));
            }
        }
        // First chunk (role only), finish chunk (empty delta), usage chunk (no choices): field for field.
        assertThat(paths(ours.get(0), "", new TreeSet<>())).containsAll(paths(real.get(0), "", new TreeSet<>()));
        assertThat(ours.get(0).at("/choices/0/delta").toString()).isEqualTo("{\"role\":\"assistant\",\"content\":\"\"}");
        JsonNode realFinish = real.get(real.size() - 2);
        JsonNode ourFinish = ours.get(ours.size() - 2);
        assertThat(paths(ourFinish, "", new TreeSet<>())).containsAll(paths(realFinish, "", new TreeSet<>()));
        assertThat(ourFinish.at("/choices/0/delta").size()).isZero();
        JsonNode realUsage = real.get(real.size() - 1);
        JsonNode ourUsage = ours.get(ours.size() - 1);
        assertThat(ourUsage.get("choices")).isEmpty();
        assertThat(realUsage.get("choices")).isEmpty();
        assertThat(paths(ourUsage, "", new TreeSet<>())).containsAll(paths(realUsage, "", new TreeSet<>()));
    }
}
