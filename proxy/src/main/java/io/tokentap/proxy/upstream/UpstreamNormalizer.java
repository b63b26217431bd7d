package io.tokentap.proxy.upstream;

import io.tokentap.core.prom.PromSample;
import io.tokentap.core.prom.PromScrape;
import java.util.List;
import java.util.function.Predicate;

/**
 * Turns the exposition of an inference server or of the DCGM exporter into {@link UpstreamFigures}.
 *
 * <table>
 * <caption>sources</caption>
 * <tr><th>server</th><th>KV cache 0..1</th><th>running</th><th>waiting</th><th>preemptions</th></tr>
 * <tr><td>vLLM</td><td>{@code vllm:kv_cache_usage_perc}, before late 2025 {@code vllm:gpu_cache_usage_perc}</td>
 *     <td>{@code vllm:num_requests_running}</td><td>{@code vllm:num_requests_waiting}</td>
 *     <td>{@code vllm:num_preemptions_total}</td></tr>
 * <tr><td>SGLang</td><td>{@code sglang:token_usage}</td><td>{@code sglang:num_running_reqs}</td>
 *     <td>{@code sglang:num_queue_reqs}</td><td>-</td></tr>
 * <tr><td>TGI</td><td>-</td><td>{@code tgi_batch_current_size}</td><td>{@code tgi_queue_size}</td><td>-</td></tr>
 * <tr><td>TensorRT-LLM on Triton</td>
 *     <td>{@code nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="fraction"}} (else used / max)</td>
 *     <td>{@code nv_trt_llm_request_metrics{request_type="active"}}</td>
 *     <td>{@code nv_trt_llm_request_metrics{request_type="waiting"}}</td><td>-</td></tr>
 * <tr><td>Triton</td><td>-</td><td>-</td><td>{@code nv_inference_pending_request_count}</td><td>-</td></tr>
 * <tr><td>llama.cpp</td><td>{@code llamacpp:kv_cache_usage_ratio}</td><td>{@code llamacpp:requests_processing}</td>
 *     <td>{@code llamacpp:requests_deferred}</td><td>-</td></tr>
 * </table>
 *
 * <p>Several series of one figure (data-parallel engines, several models) are summed for request counts and
 * preemptions; for the KV cache the fullest one counts, since that is the engine that will preempt first. GPUs come
 * from DCGM ({@code DCGM_FI_DEV_GPU_UTIL} in percent, {@code DCGM_FI_DEV_FB_USED} in MiB,
 * {@code DCGM_FI_DEV_POWER_USAGE} in W) or from Triton's {@code nv_gpu_*}: utilisation is the mean over GPUs,
 * memory and power are sums. A DCGM exporter serves every GPU of the node; {@code pod} keeps only the GPUs that the
 * exporter attributes to that pod.
 */
public final class UpstreamNormalizer {

    private static final double MIB = 1024.0 * 1024.0;

    private UpstreamNormalizer() { }

    public static UpstreamFigures normalize(PromScrape s, String pod) {
        String engine = "unknown";
        double kv = Double.NaN;
        double running = Double.NaN;
        double waiting = Double.NaN;
        double preemptions = Double.NaN;

        if (s.has("vllm:kv_cache_usage_perc") || s.has("vllm:gpu_cache_usage_perc")
                || s.has("vllm:num_requests_running") || s.has("vllm:num_requests_waiting")) {
            engine = "vllm";
            kv = max(s.samples("vllm:kv_cache_usage_perc"));
            if (Double.isNaN(kv)) {
                kv = max(s.samples("vllm:gpu_cache_usage_perc"));
            }
            running = sum(s.samples("vllm:num_requests_running"));
            waiting = sum(s.samples("vllm:num_requests_waiting"));
            preemptions = sum(s.samples("vllm:num_preemptions_total"));
            if (Double.isNaN(preemptions)) {
                preemptions = sum(s.samples("vllm:num_preemptions"));
            }
        } else if (s.has("sglang:token_usage") || s.has("sglang:num_running_reqs")
                || s.has("sglang:num_queue_reqs")) {
            engine = "sglang";
            kv = max(s.samples("sglang:token_usage"));
            running = sum(s.samples("sglang:num_running_reqs"));
            waiting = sum(s.samples("sglang:num_queue_reqs"));
        } else if (s.has("tgi_queue_size") || s.has("tgi_batch_current_size")) {
            engine = "tgi";
            running = sum(s.samples("tgi_batch_current_size"));
            waiting = sum(s.samples("tgi_queue_size"));
        } else if (s.has("nv_trt_llm_request_metrics") || s.has("nv_trt_llm_kv_cache_block_metrics")) {
            engine = "trtllm";
            List<PromSample> blocks = s.samples("nv_trt_llm_kv_cache_block_metrics");
            kv = max(filter(blocks, label("kv_cache_block_type", "fraction")));
            if (Double.isNaN(kv)) {
                double used = sum(filter(blocks, label("kv_cache_block_type", "used")));
                double max = sum(filter(blocks, label("kv_cache_block_type", "max")));
                kv = max > 0 ? used / max : Double.NaN;
            }
            List<PromSample> req = s.samples("nv_trt_llm_request_metrics");
            running = sum(filter(req, label("request_type", "active")));
            waiting = sum(filter(req, label("request_type", "waiting")));
        } else if (s.has("nv_inference_pending_request_count")) {
            engine = "triton";
            waiting = sum(s.samples("nv_inference_pending_request_count"));
        } else if (s.has("llamacpp:kv_cache_usage_ratio") || s.has("llamacpp:requests_processing")) {
            engine = "llamacpp";
            kv = max(s.samples("llamacpp:kv_cache_usage_ratio"));
            running = sum(s.samples("llamacpp:requests_processing"));
            waiting = sum(s.samples("llamacpp:requests_deferred"));
        }

        double gpuUtil;
        double gpuMem;
        double gpuPower;
        Predicate<PromSample> ofPod = pod == null || pod.isEmpty() ? x -> true : label("pod", pod);
        if (s.has("DCGM_FI_DEV_GPU_UTIL") || s.has("DCGM_FI_DEV_FB_USED") || s.has("DCGM_FI_DEV_POWER_USAGE")) {
            if ("unknown".equals(engine)) {
                engine = "dcgm";
            }
            gpuUtil = mean(filter(s.samples("DCGM_FI_DEV_GPU_UTIL"), ofPod)) / 100.0;
            gpuMem = sum(filter(s.samples("DCGM_FI_DEV_FB_USED"), ofPod)) * MIB;
            gpuPower = sum(filter(s.samples("DCGM_FI_DEV_POWER_USAGE"), ofPod));
        } else {
            gpuUtil = mean(s.samples("nv_gpu_utilization"));
            gpuMem = sum(s.samples("nv_gpu_memory_used_bytes"));
            gpuPower = sum(s.samples("nv_gpu_power_usage"));
        }
        return new UpstreamFigures(engine, clampRatio(kv), running, waiting, preemptions, clampRatio(gpuUtil),
                gpuMem, gpuPower);
    }

    private static double clampRatio(double v) {
        return Double.isNaN(v) ? v : Math.max(0.0, Math.min(1.0, v));
    }

    private static Predicate<PromSample> label(String key, String value) {
        return x -> value.equals(x.label(key));
    }

    private static List<PromSample> filter(List<PromSample> samples, Predicate<PromSample> p) {
        return samples.stream().filter(p).toList();
    }

    private static double sum(List<PromSample> samples) {
        double total = Double.NaN;
        for (PromSample x : samples) {
            if (Double.isFinite(x.value())) {
                total = Double.isNaN(total) ? x.value() : total + x.value();
            }
        }
        return total;
    }

    private static double max(List<PromSample> samples) {
        double m = Double.NaN;
        for (PromSample x : samples) {
            if (Double.isFinite(x.value()) && (Double.isNaN(m) || x.value() > m)) {
                m = x.value();
            }
        }
        return m;
    }

    private static double mean(List<PromSample> samples) {
        double total = 0;
        int n = 0;
        for (PromSample x : samples) {
            if (Double.isFinite(x.value())) {
                total += x.value();
                n++;
            }
        }
        return n == 0 ? Double.NaN : total / n;
    }
}
