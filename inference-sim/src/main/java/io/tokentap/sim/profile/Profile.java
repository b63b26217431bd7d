package io.tokentap.sim.profile;

import io.tokentap.sim.faults.FaultSpec;

/**
 * A simulated deployment: the model, the GPUs it runs on, the engine settings, how long answers are, and the faults
 * injected into every request. Loaded from YAML by {@link ProfileLoader}; see {@code config/sim/} and
 * {@code docs/simulator.md}.
 */
public record Profile(String name, ModelSpec model, GpuSpec gpu, EngineSpec engine, OutputSpec output, FaultSpec faults) {

    public Profile {
        Checks.notBlank("name", name);
        if (model == null || gpu == null || engine == null || output == null || faults == null) {
            throw new ProfileException("profile", "a section is missing (expected: model, gpu, engine, output)");
        }
        double weightsPerGpu = model.weightBytes() / gpu.count();
        double budgetPerGpu = gpu.totalMemoryBytes() / gpu.count() * engine.gpuMemoryUtilization();
        if (weightsPerGpu >= budgetPerGpu) {
            throw new ProfileException("engine.gpu_memory_utilization", engine.gpuMemoryUtilization()
                    + " leaves no room for the KV cache: weights need " + Math.round(weightsPerGpu / 1e9)
                    + " GB per GPU of " + Math.round(budgetPerGpu / 1e9) + " GB (expected: more memory or fewer params)");
        }
        long capacity = numGpuBlocks(model, gpu, engine) * (long) engine.blockSize();
        if (capacity < model.maxModelLen()) {
            throw new ProfileException("model.max_model_len", model.maxModelLen() + " (expected: <= the KV cache's "
                    + capacity + " tokens)");
        }
    }

    /** KV cache size in blocks: (GPU memory × utilisation − weights) ÷ (kv_bytes_per_token × block_size). */
    public long numGpuBlocks() {
        return numGpuBlocks(model, gpu, engine);
    }

    private static long numGpuBlocks(ModelSpec model, GpuSpec gpu, EngineSpec engine) {
        double free = gpu.totalMemoryBytes() * engine.gpuMemoryUtilization() - model.weightBytes();
        return (long) Math.floor(free / (model.kvBytesPerToken() * engine.blockSize()));
    }

    /** This profile serving under another model name. */
    public Profile withModelName(String servedName) {
        ModelSpec m = new ModelSpec(servedName, model.paramsBillion(), model.layers(), model.kvHeads(),
                model.headDim(), model.bytesPerParam(), model.maxModelLen());
        return new Profile(name, m, gpu, engine, output, faults);
    }
}
