package io.tokentap.proxy.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.tokentap.core.prom.PromTextParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(10)
class UpstreamNormalizerTest {

    static String fixture(String prefix) throws IOException {
        String name = switch (prefix) {
            case "vllm-doc" -> "vllm_metrics_docs_example_elided__vllm-project-vllm__docs_design_metrics.md.prom";
            case "vllm-real" -> "vllm_metrics_real_v0.10.0_GLM-4.5_fragments__vllm-project-production-stack_issue-617.prom";
            case "sglang" -> "sglang_metrics_docs_example__sglang__docs_references_production_metrics.prom";
            case "triton" -> "triton_base_nv_inference_metrics_docs_example__tensorrtllm_backend__README.prom";
            case "trtllm" -> "triton_trtllm_backend_metrics_docs_example__tensorrtllm_backend__README.prom";
            case "dcgm" -> "dcgm_exporter_real_8xH100_scrape_excerpt__NVIDIA-aicr__docs_conformance_cncf_evidence_accelerator-metrics.md.prom";
            default -> throw new IllegalArgumentException(prefix);
        };
        try (InputStream in = UpstreamNormalizerTest.class.getResourceAsStream("/prom/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static UpstreamFigures of(String text) {
        return UpstreamNormalizer.normalize(PromTextParser.parse(text), null);
    }

    @Test
    void vllmDocExample() throws IOException {
        UpstreamFigures f = of(fixture("vllm-doc"));
        assertThat(f.engine()).isEqualTo("vllm");
        assertThat(f.requestsRunning()).isEqualTo(8.0);
        assertThat(f.kvCacheUsage()).isNaN();
        assertThat(f.requestsWaiting()).isNaN();
    }

    @Test
    void vllmNewKvName() throws IOException {
        UpstreamFigures f = of(fixture("vllm-real"));
        assertThat(f.engine()).isEqualTo("vllm");
        assertThat(f.kvCacheUsage()).isCloseTo(9.75010481363281e-06, within(1e-15));
    }

    @Test
    void vllmOldKvNameAndDataParallelEngines() {
        UpstreamFigures f = of("""
                vllm:gpu_cache_usage_perc{model_name="m",engine="0"} 0.25
                vllm:gpu_cache_usage_perc{model_name="m",engine="1"} 0.75
                vllm:num_requests_running{model_name="m",engine="0"} 3
                vllm:num_requests_running{model_name="m",engine="1"} 4
                vllm:num_requests_waiting{model_name="m",engine="0"} 1
                vllm:num_requests_waiting{model_name="m",engine="1"} 2
                vllm:num_preemptions_total{model_name="m",engine="0"} 5
                """);
        assertThat(f.kvCacheUsage()).isEqualTo(0.75);
        assertThat(f.requestsRunning()).isEqualTo(7.0);
        assertThat(f.requestsWaiting()).isEqualTo(3.0);
        assertThat(f.preemptions()).isEqualTo(5.0);
    }

    @Test
    void newKvNameWinsWhenBothArePresent() {
        UpstreamFigures f = of("vllm:gpu_cache_usage_perc 0.9\nvllm:kv_cache_usage_perc 0.4\n");
        assertThat(f.kvCacheUsage()).isEqualTo(0.4);
    }

    @Test
    void sglang() throws IOException {
        UpstreamFigures f = of(fixture("sglang"));
        assertThat(f.engine()).isEqualTo("sglang");
        assertThat(f.kvCacheUsage()).isEqualTo(0.28);
        assertThat(f.requestsRunning()).isEqualTo(162.0);
        assertThat(f.requestsWaiting()).isEqualTo(2826.0);
    }

    @Test
    void tensorRtLlmOnTriton() throws IOException {
        UpstreamFigures f = of(fixture("trtllm"));
        assertThat(f.engine()).isEqualTo("trtllm");
        assertThat(f.kvCacheUsage()).isEqualTo(0.4875);
        assertThat(f.requestsWaiting()).isEqualTo(1.0);
        assertThat(f.requestsRunning()).isEqualTo(0.0);
    }

    @Test
    void tensorRtLlmWithoutFractionUsesUsedOverMax() {
        UpstreamFigures f = of("""
                nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="used",model="m",version="1"} 3000
                nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="max",model="m",version="1"} 6000
                """);
        assertThat(f.kvCacheUsage()).isEqualTo(0.5);
    }

    @Test
    void tritonCore() throws IOException {
        UpstreamFigures f = of(fixture("triton") + "nv_gpu_utilization{gpu_uuid=\"a\"} 0.5\n"
                + "nv_gpu_utilization{gpu_uuid=\"b\"} 0.7\nnv_gpu_power_usage{gpu_uuid=\"a\"} 250\n");
        assertThat(f.engine()).isEqualTo("triton");
        assertThat(f.requestsWaiting()).isEqualTo(0.0);
        assertThat(f.gpuUtilization()).isCloseTo(0.6, within(1e-9));
        assertThat(f.gpuPowerWatts()).isEqualTo(250.0);
    }

    @Test
    void tgi() {
        UpstreamFigures f = of("# TYPE tgi_queue_size gauge\ntgi_queue_size 12\ntgi_batch_current_size 32\n");
        assertThat(f.engine()).isEqualTo("tgi");
        assertThat(f.requestsWaiting()).isEqualTo(12.0);
        assertThat(f.requestsRunning()).isEqualTo(32.0);
        assertThat(f.kvCacheUsage()).isNaN();
    }

    @Test
    void llamaCpp() {
        UpstreamFigures f = of("""
                # TYPE llamacpp:kv_cache_usage_ratio gauge
                llamacpp:kv_cache_usage_ratio 0.125
                llamacpp:requests_processing 2
                llamacpp:requests_deferred 5
                """);
        assertThat(f.engine()).isEqualTo("llamacpp");
        assertThat(f.kvCacheUsage()).isEqualTo(0.125);
        assertThat(f.requestsRunning()).isEqualTo(2.0);
        assertThat(f.requestsWaiting()).isEqualTo(5.0);
    }

    @Test
    void dcgmWholeNodeAndOnePod() throws IOException {
        String text = fixture("dcgm") + "DCGM_FI_DEV_FB_USED{gpu=\"2\",pod=\"p\"} 1024\nDCGM_FI_DEV_FB_USED{gpu=\"3\"} 2048\n";
        UpstreamFigures node = of(text);
        assertThat(node.engine()).isEqualTo("dcgm");
        assertThat(node.gpuPowerWatts())
                .isCloseTo(67.433 + 70.849 + 110.786 + 67.933 + 69.140 + 67.033 + 67.156 + 68.495, within(1e-6));
        assertThat(node.gpuUtilization()).isEqualTo(0.0);
        assertThat(node.gpuMemoryUsedBytes()).isEqualTo(3072.0 * 1024 * 1024);

        UpstreamFigures pod = UpstreamNormalizer.normalize(PromTextParser.parse(fixture("dcgm")),
                "vllm-agg-0-vllmdecodeworker-dkb9q");
        assertThat(pod.gpuPowerWatts()).isEqualTo(110.786);
        assertThat(pod.gpuUtilization()).isEqualTo(0.0);
        assertThat(pod.kvCacheUsage()).isNaN();
    }

    @Test
    void dcgmUtilisationIsPercent() {
        UpstreamFigures f = of("DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 80\nDCGM_FI_DEV_GPU_UTIL{gpu=\"1\"} 100\n");
        assertThat(f.gpuUtilization()).isCloseTo(0.9, within(1e-9));
    }

    /**
     * The DCGM exporter's shipped counter files (its default set and the one with profiling metrics) enable the three
     * counters the normaliser reads, with the units it converts from; an exposition of every counter they list, two
     * GPUs each, gives the GPU figures.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "dcgm_exporter_default-counters__NVIDIA-dcgm-exporter__etc_default-counters.csv",
        "dcgm_exporter_dcp-metrics-included__NVIDIA-dcgm-exporter__etc_dcp-metrics-included.csv"})
    void dcgmExporterCounterFilesEnableWhatTheNormaliserReads(String file) throws IOException {
        java.util.Map<String, String[]> counters = new java.util.LinkedHashMap<>();
        try (InputStream in = UpstreamNormalizerTest.class.getResourceAsStream("/prom/" + file)) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.trim().split("\\s*,\\s*", 3);
                if (!line.isBlank() && !line.trim().startsWith("#") && f.length == 3) {
                    counters.put(f[0], f);
                }
            }
        }
        assertThat(counters).hasSizeGreaterThan(10);
        assertThat(counters.get("DCGM_FI_DEV_GPU_UTIL")).isNotNull().satisfies(f -> {
            assertThat(f[1]).isEqualTo("gauge");
            assertThat(f[2]).contains("(in %)");
        });
        assertThat(counters.get("DCGM_FI_DEV_FB_USED")).isNotNull().satisfies(f -> assertThat(f[2]).contains("(in MiB)"));
        assertThat(counters.get("DCGM_FI_DEV_POWER_USAGE")).isNotNull()
                .satisfies(f -> assertThat(f[2]).contains("(in W)"));

        StringBuilder exposition = new StringBuilder();
        counters.forEach((name, f) -> {
            String type = f[1].equals("counter") ? "counter" : "gauge";
            exposition.append("# TYPE ").append(name).append(' ').append(type).append('\n');
            for (int gpu = 0; gpu < 2; gpu++) {
                double v = switch (name) {
                    case "DCGM_FI_DEV_GPU_UTIL" -> gpu == 0 ? 60 : 100;
                    case "DCGM_FI_DEV_FB_USED" -> 1024;
                    case "DCGM_FI_DEV_POWER_USAGE" -> 250.5;
                    default -> 7;
                };
                exposition.append(name).append("{gpu=\"").append(gpu).append("\",modelName=\"NVIDIA H100\"} ")
                        .append(v).append('\n');
            }
        });
        UpstreamFigures f = of(exposition.toString());
        assertThat(f.engine()).isEqualTo("dcgm");
        assertThat(f.gpuUtilization()).isCloseTo(0.8, within(1e-9));
        assertThat(f.gpuMemoryUsedBytes()).isEqualTo(2 * 1024.0 * 1024 * 1024);
        assertThat(f.gpuPowerWatts()).isCloseTo(501.0, within(1e-9));
    }

    @Test
    void unknownExpositionKnowsNothing() {
        UpstreamFigures f = of("process_cpu_seconds_total 12\n");
        assertThat(f.any()).isFalse();
        assertThat(f.engine()).isEqualTo("unknown");
    }
}
