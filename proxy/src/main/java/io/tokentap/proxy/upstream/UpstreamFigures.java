package io.tokentap.proxy.upstream;

/**
 * The inference server's state as tokentap normalises it from whatever exposition the server (and the DCGM
 * exporter) wrote. A figure the sources did not report, or that is stale, is {@code NaN}.
 *
 * @param engine              the server recognised: {@code vllm}, {@code sglang}, {@code tgi}, {@code trtllm},
 *                            {@code triton}, {@code llamacpp}, or {@code unknown}
 * @param kvCacheUsage        KV cache in use, 0..1
 * @param requestsRunning     requests in the running batch
 * @param requestsWaiting     requests queued
 * @param preemptions         preemptions since the server started (a counter)
 * @param gpuUtilization      mean GPU utilisation, 0..1
 * @param gpuMemoryUsedBytes  GPU memory in use, summed over GPUs
 * @param gpuPowerWatts       GPU power draw, summed over GPUs
 */
public record UpstreamFigures(String engine, double kvCacheUsage, double requestsRunning, double requestsWaiting,
                              double preemptions, double gpuUtilization, double gpuMemoryUsedBytes,
                              double gpuPowerWatts) {

    public static final UpstreamFigures UNKNOWN =
            new UpstreamFigures("unknown", Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN);

    /** True when at least one figure is known. */
    public boolean any() {
        return !Double.isNaN(kvCacheUsage) || !Double.isNaN(requestsRunning) || !Double.isNaN(requestsWaiting)
                || !Double.isNaN(preemptions) || !Double.isNaN(gpuUtilization) || !Double.isNaN(gpuMemoryUsedBytes)
                || !Double.isNaN(gpuPowerWatts);
    }

    /** These figures with the GPU figures that {@code gpu} knows (from DCGM) taking precedence. */
    public UpstreamFigures withGpuFrom(UpstreamFigures gpu) {
        return new UpstreamFigures(engine, kvCacheUsage, requestsRunning, requestsWaiting, preemptions,
                pick(gpu.gpuUtilization, gpuUtilization), pick(gpu.gpuMemoryUsedBytes, gpuMemoryUsedBytes),
                pick(gpu.gpuPowerWatts, gpuPowerWatts));
    }

    private static double pick(double preferred, double fallback) {
        return Double.isNaN(preferred) ? fallback : preferred;
    }
}
