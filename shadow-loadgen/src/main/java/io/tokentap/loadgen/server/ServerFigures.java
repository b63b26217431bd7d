package io.tokentap.loadgen.server;

import io.tokentap.core.prom.PromSample;
import io.tokentap.core.prom.PromScrape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the server-state figures a stage keeps from one Prometheus scrape: KV-cache usage (0..1), queue depth,
 * running requests and GPU utilisation (0..1). Knows vLLM, SGLang, TGI, DCGM and tokentap's own proxy names; when a
 * server exposes several series (engines, models, GPUs), KV usage and GPU utilisation take the largest or mean,
 * queues and running requests add up.
 */
public final class ServerFigures {

    static final List<String> KV = List.of("tokentap_upstream_kv_cache_usage_ratio", "vllm:kv_cache_usage_perc",
            "vllm:gpu_cache_usage_perc", "sglang:token_usage");
    static final List<String> QUEUE = List.of("tokentap_upstream_requests_waiting", "vllm:num_requests_waiting",
            "sglang:num_queue_reqs", "tgi_queue_size");
    static final List<String> RUNNING = List.of("tokentap_upstream_requests_running", "vllm:num_requests_running",
            "sglang:num_running_reqs", "tgi_batch_current_size");
    static final List<String> GPU = List.of("tokentap_gpu_utilization_ratio", "DCGM_FI_DEV_GPU_UTIL");

    private ServerFigures() {
    }

    /** The figures found in {@code scrape}, by key: kv_cache_usage, queue_depth, running, gpu_utilization. */
    public static Map<String, Double> of(PromScrape scrape) {
        Map<String, Double> out = new LinkedHashMap<>();
        first(scrape, KV).ifPresent(s -> out.put("kv_cache_usage", s.stream().mapToDouble(PromSample::value).max().orElse(0)));
        first(scrape, QUEUE).ifPresent(s -> out.put("queue_depth", s.stream().mapToDouble(PromSample::value).sum()));
        first(scrape, RUNNING).ifPresent(s -> out.put("running", s.stream().mapToDouble(PromSample::value).sum()));
        first(scrape, GPU).ifPresent(s -> {
            boolean percent = s.get(0).name().startsWith("DCGM");
            double mean = s.stream().mapToDouble(PromSample::value).average().orElse(0);
            out.put("gpu_utilization", percent ? mean / 100 : mean);
        });
        return out;
    }

    private static java.util.Optional<List<PromSample>> first(PromScrape scrape, List<String> names) {
        for (String n : names) {
            List<PromSample> s = scrape.samples(n);
            if (s != null && !s.isEmpty()) {
                return java.util.Optional.of(s);
            }
        }
        return java.util.Optional.empty();
    }
}
