package io.tokentap.sim.profile;

/**
 * The served model's shape: what sets its weight bytes, FLOPs per token and KV-cache bytes per token.
 *
 * @param name served model name (the {@code model} field and the {@code model_name} metric label)
 * @param paramsBillion parameters, in billions
 * @param layers transformer layers
 * @param kvHeads key/value heads (grouped-query attention)
 * @param headDim dimension of one head
 * @param bytesPerParam bytes per weight and per KV element (2 for FP16/BF16)
 * @param maxModelLen context window in tokens (prompt + output)
 */
public record ModelSpec(
        String name, double paramsBillion, int layers, int kvHeads, int headDim, double bytesPerParam,
        int maxModelLen) {

    public ModelSpec {
        Checks.notBlank("model.name", name);
        Checks.positive("model.params_billion", paramsBillion);
        Checks.positive("model.layers", layers);
        Checks.positive("model.kv_heads", kvHeads);
        Checks.positive("model.head_dim", headDim);
        Checks.positive("model.bytes_per_param", bytesPerParam);
        Checks.positive("model.max_model_len", maxModelLen);
    }

    /** Weight bytes over all GPUs. */
    public double weightBytes() {
        return paramsBillion * 1e9 * bytesPerParam;
    }

    /** KV bytes per token: 2 (K and V) × layers × kv_heads × head_dim × bytes_per_param. */
    public double kvBytesPerToken() {
        return 2.0 * layers * kvHeads * headDim * bytesPerParam;
    }

    /** Forward-pass FLOPs per token: 2 × parameters. */
    public double flopsPerToken() {
        return 2.0 * paramsBillion * 1e9;
    }
}
