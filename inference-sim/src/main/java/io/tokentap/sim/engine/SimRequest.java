package io.tokentap.sim.engine;

/**
 * One generation request as the engine sees it. The inputs are fixed at construction; the rest is engine state,
 * touched only on the engine thread.
 */
public final class SimRequest {
    final String id;
    final int promptTokens;
    final int maxTokens;
    final boolean ignoreEos;
    final TokenSink sink;

    // Engine state (engine thread only).
    int targetTokens;
    int generated;
    /** Tokens whose KV is in the cache; a preemption drops it to 0 and the request is recomputed. */
    int computed;
    int blocks;
    long arrivalNanos;
    long lastTokenNanos;
    boolean finished;
    boolean aborted;
    boolean running;

    /**
     * @param id request id, for logs
     * @param promptTokens prompt length in tokens (≥ 1)
     * @param maxTokens most tokens to generate (≥ 1), already clamped to the context window
     * @param ignoreEos generate exactly {@code maxTokens}, as a benchmark with {@code ignore_eos} does
     * @param sink where tokens go
     */
    public SimRequest(String id, int promptTokens, int maxTokens, boolean ignoreEos, TokenSink sink) {
        if (promptTokens < 1) {
            throw new IllegalArgumentException("promptTokens: " + promptTokens + " (expected: >= 1)");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens: " + maxTokens + " (expected: >= 1)");
        }
        this.id = id;
        this.promptTokens = promptTokens;
        this.maxTokens = maxTokens;
        this.ignoreEos = ignoreEos;
        this.sink = sink;
    }

    public String id() {
        return id;
    }

    public int promptTokens() {
        return promptTokens;
    }

    /** Tokens the next iteration must compute before this request samples its next token. */
    int pendingTokens() {
        return promptTokens + generated - computed;
    }
}
