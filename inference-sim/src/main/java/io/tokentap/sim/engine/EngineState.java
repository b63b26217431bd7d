package io.tokentap.sim.engine;

/**
 * A snapshot of the engine's gauges, published after every iteration for readers on other threads.
 *
 * @param running requests in the running batch
 * @param waiting requests in the waiting queue (preempted ones included)
 * @param usedBlocks KV blocks in use
 * @param totalBlocks KV blocks in all
 * @param busyNanos wall time spent in iterations since start (for GPU utilisation)
 */
public record EngineState(int running, int waiting, long usedBlocks, long totalBlocks, long busyNanos) {

    /** KV cache usage in [0, 1], as {@code vllm:kv_cache_usage_perc}. */
    public double kvUsage() {
        return totalBlocks == 0 ? 0 : (double) usedBlocks / totalBlocks;
    }
}
