package io.tokentap.sim.profile;

/**
 * The serving engine's settings, named after vLLM's where vLLM has one.
 *
 * @param blockSize tokens per KV block (vLLM {@code --block-size})
 * @param gpuMemoryUtilization fraction of GPU memory for weights plus KV cache ({@code --gpu-memory-utilization})
 * @param maxNumBatchedTokens token budget of one iteration, chunked prefill included ({@code --max-num-batched-tokens})
 * @param maxNumSeqs running requests at most ({@code --max-num-seqs})
 * @param maxWaiting waiting requests at most; a request past it is rejected
 * @param stepOverheadMillis fixed cost of one iteration (scheduling, kernel launches, all-reduce)
 * @param seqOverheadMillis cost of one iteration per scheduled request (sampling, detokenising, output processing)
 * @param rejectStatus status of a rejected request: 503, or 429 with Retry-After
 * @param retryAfterSeconds Retry-After sent with a 429 or 503 rejection
 */
public record EngineSpec(
        int blockSize, double gpuMemoryUtilization, int maxNumBatchedTokens, int maxNumSeqs, int maxWaiting,
        double stepOverheadMillis, double seqOverheadMillis, int rejectStatus, int retryAfterSeconds) {

    public EngineSpec {
        Checks.positive("engine.block_size", blockSize);
        Checks.fraction("engine.gpu_memory_utilization", gpuMemoryUtilization);
        Checks.positive("engine.max_num_batched_tokens", maxNumBatchedTokens);
        Checks.positive("engine.max_num_seqs", maxNumSeqs);
        Checks.nonNegative("engine.max_waiting", maxWaiting);
        Checks.nonNegative("engine.step_overhead_ms", stepOverheadMillis);
        Checks.nonNegative("engine.seq_overhead_ms", seqOverheadMillis);
        if (rejectStatus != 503 && rejectStatus != 429) {
            throw new ProfileException("engine.reject_status", rejectStatus + " (expected: 503 or 429)");
        }
        Checks.nonNegative("engine.retry_after_seconds", retryAfterSeconds);
    }
}
