package io.tokentap.loadgen.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.sun.net.httpserver.HttpServer;
import io.tokentap.core.prom.PromTextParser;
import io.tokentap.loadgen.result.StageStats;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ServerSamplerTest {

    private static String fixture(String name) throws Exception {
        try (InputStream in = ServerSamplerTest.class.getResourceAsStream("/prom/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void readsSglangAndVllmFigures() throws Exception {
        Map<String, Double> sg = ServerFigures.of(PromTextParser.parse(
                fixture("sglang_metrics_docs_example__sglang__docs_references_production_metrics.prom")));
        assertThat(sg).containsEntry("kv_cache_usage", 0.28).containsEntry("queue_depth", 2826.0)
                .containsEntry("running", 162.0);
        Map<String, Double> vl = ServerFigures.of(PromTextParser.parse(
                fixture("vllm_metrics_real_v0.10.0_GLM-4.5_fragments__vllm-project-production-stack_issue-617.prom")));
        assertThat(vl.get("kv_cache_usage")).isCloseTo(9.75e-6, within(1e-9));
    }

    @Test
    void samplesAnEndpointIntoTheStage() throws Exception {
        AtomicReference<String> body = new AtomicReference<>("vllm:kv_cache_usage_perc{engine=\"0\"} 0.2\n"
                + "vllm:num_requests_waiting{engine=\"0\"} 3\n");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/metrics", ex -> {
            byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        try {
            ServerSampler s = new ServerSampler(HttpClient.newHttpClient(),
                    URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/metrics"), Duration.ofSeconds(5));
            s.sample();
            body.set("vllm:kv_cache_usage_perc{engine=\"0\"} 0.6\nvllm:num_requests_waiting{engine=\"0\"} 9\n");
            s.sample();
            StageStats st = new StageStats("a", "sustained", "c=1");
            s.finishStage(st);
            assertThat(st.server()).containsEntry("kv_cache_usage_max", 0.6).containsEntry("queue_depth_max", 9.0)
                    .containsEntry("scrapes", 2.0).containsEntry("scrape_failures", 0.0);
            assertThat(st.server().get("kv_cache_usage_mean")).isCloseTo(0.4, within(1e-9));
        } finally {
            server.stop(0);
        }
    }
}
