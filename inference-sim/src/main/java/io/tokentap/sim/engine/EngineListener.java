package io.tokentap.sim.engine;

/**
 * What the engine reports to its metrics, called on the engine thread. Durations are wall-clock nanoseconds
 * (scaled by {@code --time-scale}).
 */
public interface EngineListener {
    /** A listener that records nothing. */
    EngineListener NOOP = new EngineListener() {};

    default void onPromptTokens(int tokens) {}

    default void onFirstToken(long ttftNanos) {}

    default void onNextToken(long itlNanos) {}

    default void onFinished(long e2eNanos, int promptTokens, int generatedTokens, FinishReason reason) {}

    default void onPreemption() {}

    default void onRejected() {}

    /** One iteration ran for {@code wallNanos}; {@code computeBound} when FLOPs, not bytes, set its time. */
    default void onIteration(long wallNanos, int prefillTokens, int decodeTokens) {}
}
