package io.tokentap.sim.engine;

import io.tokentap.sim.profile.Profile;

/**
 * How long one engine iteration takes on the simulated GPUs (a roofline):
 *
 * <pre>
 * memory  = (weight bytes + KV tokens read × kv_bytes_per_token) ÷ (bandwidth × bandwidth_efficiency)
 * compute = tokens computed × 2 × params ÷ (peak FLOP/s × MFU)
 * step    = step_overhead + requests × seq_overhead + max(memory, compute)
 * </pre>
 *
 * A pure decode step is memory-bound (the weights are read once per step whatever the batch); a prefill chunk is
 * compute-bound. Tensor parallelism multiplies bandwidth and FLOP/s by the GPU count.
 */
public final class CostModel {
    private final double weightBytes;
    private final double kvBytesPerToken;
    private final double bandwidth;
    private final double flopsPerToken;
    private final double flops;
    private final double overheadSeconds;
    private final double seqOverheadSeconds;

    public CostModel(Profile profile) {
        this.weightBytes = profile.model().weightBytes();
        this.kvBytesPerToken = profile.model().kvBytesPerToken();
        this.bandwidth = profile.gpu().effectiveBandwidth();
        this.flopsPerToken = profile.model().flopsPerToken();
        this.flops = profile.gpu().effectiveFlops();
        this.overheadSeconds = profile.engine().stepOverheadMillis() / 1e3;
        this.seqOverheadSeconds = profile.engine().seqOverheadMillis() / 1e3;
    }

    /**
     * Model seconds of one iteration that computes {@code computedTokens} tokens (prefill chunks plus one per
     * decoding request) for {@code requests} requests while attending over {@code kvTokensRead} cached tokens.
     */
    public double iterationSeconds(long computedTokens, long kvTokensRead, int requests) {
        double memory = (weightBytes + kvTokensRead * kvBytesPerToken) / bandwidth;
        double compute = computedTokens * flopsPerToken / flops;
        return overheadSeconds + requests * seqOverheadSeconds + Math.max(memory, compute);
    }

    /** Model seconds of a decode step of a batch of one with an empty cache: the floor of the inter-token latency. */
    public double minDecodeSeconds() {
        return iterationSeconds(1, 0, 1);
    }
}
