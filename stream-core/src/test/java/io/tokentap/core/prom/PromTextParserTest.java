package io.tokentap.core.prom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(10)
class PromTextParserTest {

    static final String VLLM_DOC = "vllm_metrics_docs_example_elided__vllm-project-vllm__docs_design_metrics.md.prom";
    static final String VLLM_REAL = "vllm_metrics_real_v0.10.0_GLM-4.5_fragments__vllm-project-production-stack_issue-617.prom";
    static final String SGLANG = "sglang_metrics_docs_example__sglang__docs_references_production_metrics.prom";
    static final String TRITON = "triton_base_nv_inference_metrics_docs_example__tensorrtllm_backend__README.prom";
    static final String TRTLLM = "triton_trtllm_backend_metrics_docs_example__tensorrtllm_backend__README.prom";
    static final String DCGM = "dcgm_exporter_real_8xH100_scrape_excerpt__NVIDIA-aicr__docs_conformance_cncf_evidence_accelerator-metrics.md.prom";

    static String fixture(String name) throws IOException {
        try (InputStream in = PromTextParserTest.class.getResourceAsStream("/prom/" + name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static long sampleLines(String text) {
        return text.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).count();
    }

    @ParameterizedTest
    @ValueSource(strings = {VLLM_REAL, SGLANG, TRITON, TRTLLM, DCGM})
    void cleanFixturesParseWithoutErrors(String name) throws IOException {
        String text = fixture(name);
        PromScrape scrape = PromTextParser.parse(text);
        assertThat(scrape.errors()).isEmpty();
        assertThat(scrape.samples()).hasSize((int) sampleLines(text));
    }

    @Test
    void elidedVllmDocExampleKeepsEveryValidLineAndReportsTheElisions() throws IOException {
        String text = fixture(VLLM_DOC);
        PromScrape scrape = PromTextParser.parse(text);

        // Three "..." lines, and the cache_config_info line whose label set ends in ",..." (an elision, not a label).
        assertThat(scrape.errors()).hasSize(4);
        assertThat(scrape.errors()).filteredOn(e -> e.line().equals("...")).hasSize(3);
        assertThat(scrape.errors()).anyMatch(e -> e.line().startsWith("vllm:cache_config_info"));
        assertThat(scrape.samples()).hasSize((int) sampleLines(text) - 4);

        PromSample running = scrape.samples("vllm:num_requests_running").get(0);
        assertThat(running.value()).isEqualTo(8.0);
        assertThat(running.labels()).containsExactly(Map.entry("model_name", "meta-llama/Llama-3.1-8B-Instruct"));
        assertThat(scrape.type("vllm:time_to_first_token_seconds")).isEqualTo(PromMetricType.HISTOGRAM);
        assertThat(scrape.samples("vllm:time_to_first_token_seconds_bucket")).hasSize(8)
                .extracting(s -> s.label("le")).startsWith("0.001", "0.005");
        assertThat(scrape.samples("vllm:request_success_total"))
                .extracting(s -> s.label("finished_reason")).containsExactly("stop", "length", "abort");
        assertThat(scrape.help("vllm:num_requests_running")).isEqualTo("Number of requests in model execution batches.");
    }

    @Test
    void realVllmExpositionHasTheNewKvNameAndEngineLabel() throws IOException {
        PromScrape scrape = PromTextParser.parse(fixture(VLLM_REAL));
        PromSample kv = scrape.samples("vllm:kv_cache_usage_perc").get(0);
        assertThat(kv.value()).isCloseTo(9.75010481363281e-06, within(1e-18));
        assertThat(kv.labels()).containsEntry("engine", "0").containsEntry("model_name", "zai-org/GLM-4.5");
        assertThat(scrape.samples("vllm:gpu_prefix_cache_queries_created").get(0).value())
                .isEqualTo(1.7537953269352946e+09);
    }

    @Test
    void sglangScientificNotationAndInfBuckets() throws IOException {
        PromScrape scrape = PromTextParser.parse(fixture(SGLANG));
        List<PromSample> buckets = scrape.samples("sglang:time_per_output_token_seconds_bucket");
        assertThat(buckets.get(buckets.size() - 1).label("le")).isEqualTo("+Inf");
        assertThat(buckets.get(buckets.size() - 1).value()).isEqualTo(7.400757e+06);
        assertThat(scrape.samples("sglang:token_usage").get(0).value()).isEqualTo(0.28);
    }

    @Test
    void tritonLabelsSelectTheRequestType() throws IOException {
        PromScrape scrape = PromTextParser.parse(fixture(TRTLLM));
        assertThat(scrape.samples("nv_trt_llm_request_metrics"))
                .filteredOn(s -> "waiting".equals(s.label("request_type")))
                .singleElement().extracting(PromSample::value).isEqualTo(1.0);
        assertThat(scrape.type("nv_trt_llm_disaggregated_serving_metrics")).isEqualTo(PromMetricType.COUNTER);
    }

    @Test
    void dcgmLinesWithAndWithoutPodLabels() throws IOException {
        PromScrape scrape = PromTextParser.parse(fixture(DCGM));
        assertThat(scrape.samples("DCGM_FI_DEV_POWER_USAGE")).hasSize(8)
                .filteredOn(s -> s.label("pod") != null).singleElement()
                .satisfies(s -> {
                    assertThat(s.label("pod")).isEqualTo("vllm-agg-0-vllmdecodeworker-dkb9q");
                    assertThat(s.label("pod_uid")).isEmpty();
                    assertThat(s.value()).isEqualTo(110.786);
                });
    }

    @Test
    void labelValuesAreUnescaped() {
        PromScrape scrape = PromTextParser.parse(
                "m{path=\"C:\\\\dir\\\\file\",quote=\"say \\\"hi\\\"\",nl=\"a\\nb\",brace=\"}{,=\"} 1\n");
        assertThat(scrape.errors()).isEmpty();
        assertThat(scrape.samples("m").get(0).labels())
                .containsEntry("path", "C:\\dir\\file")
                .containsEntry("quote", "say \"hi\"")
                .containsEntry("nl", "a\nb")
                .containsEntry("brace", "}{,=");
    }

    @Test
    void helpTextIsUnescaped() {
        PromScrape scrape = PromTextParser.parse("# HELP m line one\\nline \\\\two \\\"q\\\"\n# TYPE m gauge\nm 1\n");
        assertThat(scrape.help("m")).isEqualTo("line one\nline \\two \\\"q\\\"");
    }

    @Test
    void specialValuesTimestampsCrlfAndSpacing() {
        PromScrape scrape = PromTextParser.parse(
                "a +Inf\r\nb -Inf\r\nc NaN 1700000000123\r\n  d { x = \"1\" , } 2.5e-3  \r\ne{} 7\r\n");
        assertThat(scrape.errors()).isEmpty();
        assertThat(scrape.samples("a").get(0).value()).isInfinite().isPositive();
        assertThat(scrape.samples("b").get(0).value()).isInfinite().isNegative();
        assertThat(scrape.samples("c").get(0).value()).isNaN();
        assertThat(scrape.samples("c").get(0).timestampMillis()).isEqualTo(1700000000123L);
        assertThat(scrape.samples("d").get(0).labels()).containsExactly(Map.entry("x", "1"));
        assertThat(scrape.samples("d").get(0).value()).isEqualTo(0.0025);
        assertThat(scrape.samples("d").get(0).hasTimestamp()).isFalse();
        assertThat(scrape.samples("e").get(0).labels()).isEmpty();
    }

    @Test
    void openMetricsUnitExemplarsSecondTimestampsAndEof() {
        PromScrape scrape = PromTextParser.parse(
                "# TYPE req counter\n# UNIT req seconds\n"
                        + "req_total{a=\"b\"} 3 1700000000.5 # {trace_id=\"abc\"} 1.0 1700000000.1\n"
                        + "# TYPE inf info\ninf_info{version=\"1\"} 1 1700000001\n"
                        + "# EOF\n");
        assertThat(scrape.errors()).isEmpty();
        assertThat(scrape.unit("req")).isEqualTo("seconds");
        assertThat(scrape.samples("req_total").get(0).value()).isEqualTo(3.0);
        assertThat(scrape.samples("req_total").get(0).timestampMillis()).isEqualTo(1700000000500L);
        assertThat(scrape.samples("inf_info").get(0).timestampMillis()).isEqualTo(1700000001000L);
        assertThat(scrape.type("inf")).isEqualTo(PromMetricType.INFO);
    }

    @Test
    void badLinesAreReportedWithTheirNumberAndDoNotStopTheRest() {
        PromScrape scrape = PromTextParser.parse(String.join("\n",
                "ok1 1",
                "bad{x=\"unterminated} 1",
                "bad2 1d",
                "bad3{1x=\"a\"} 1",
                "bad4{x=\"a\",x=\"b\"} 1",
                "bad5 1 2 3",
                "# TYPE t nosuchtype",
                "9bad 1",
                "ok2{y=\"2\"} 2",
                ""));
        assertThat(scrape.samples()).extracting(PromSample::name).containsExactly("ok1", "ok2");
        assertThat(scrape.errors()).extracting(PromParseError::lineNumber).containsExactly(2, 3, 4, 5, 6, 7, 8);
        assertThat(scrape.errors().get(0).message()).contains("unterminated");
    }
}
