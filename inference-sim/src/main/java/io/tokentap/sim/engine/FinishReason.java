package io.tokentap.sim.engine;

/** Why a request stopped generating. */
public enum FinishReason {
    /** It produced its end-of-sequence token. */
    STOP,
    /** It reached {@code max_tokens} or the context window. */
    LENGTH
}
