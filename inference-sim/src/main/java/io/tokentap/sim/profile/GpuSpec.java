package io.tokentap.sim.profile;

/**
 * The accelerators the model runs on, tensor-parallel over {@code count} identical GPUs.
 *
 * @param name GPU model name (the DCGM {@code modelName} label)
 * @param count GPUs (tensor parallel degree)
 * @param memoryGib memory per GPU, GiB
 * @param bandwidthGBps HBM bandwidth per GPU, GB/s (1e9 bytes)
 * @param peakTflops dense FP16/BF16 peak per GPU, TFLOP/s
 * @param bandwidthEfficiency fraction of the peak bandwidth a decode step achieves
 * @param mfu model FLOPs utilisation reached by prefill
 * @param idleWatts power per GPU when idle
 * @param maxWatts power per GPU when busy all the time
 */
public record GpuSpec(
        String name, int count, double memoryGib, double bandwidthGBps, double peakTflops,
        double bandwidthEfficiency, double mfu, double idleWatts, double maxWatts) {

    public GpuSpec {
        Checks.notBlank("gpu.name", name);
        Checks.positive("gpu.count", count);
        Checks.positive("gpu.memory_gib", memoryGib);
        Checks.positive("gpu.bandwidth_gbps", bandwidthGBps);
        Checks.positive("gpu.peak_tflops", peakTflops);
        Checks.fraction("gpu.bandwidth_efficiency", bandwidthEfficiency);
        Checks.fraction("gpu.mfu", mfu);
        Checks.nonNegative("gpu.idle_watts", idleWatts);
        if (!(maxWatts >= idleWatts)) {
            throw new ProfileException("gpu.max_watts", maxWatts + " (expected: >= gpu.idle_watts " + idleWatts + ")");
        }
    }

    /** Memory over all GPUs, bytes. */
    public double totalMemoryBytes() {
        return memoryGib * count * 1024.0 * 1024 * 1024;
    }

    /** Bandwidth a step achieves over all GPUs, bytes/s. */
    public double effectiveBandwidth() {
        return bandwidthGBps * 1e9 * count * bandwidthEfficiency;
    }

    /** FLOP/s prefill achieves over all GPUs. */
    public double effectiveFlops() {
        return peakTflops * 1e12 * count * mfu;
    }
}
