package io.tokentap.sim.engine;

/**
 * Where the engine sends what happens to one request. Every call comes from the engine thread and must return
 * at once: an implementation hands the work to its channel's event loop.
 */
public interface TokenSink {
    /** The request entered the waiting queue. */
    void onAccepted();

    /** The waiting queue is full; answer with {@code status} (503, or 429 with Retry-After). */
    void onRejected(int status, int retryAfterSeconds);

    /**
     * Token number {@code index} (0-based) was sampled. {@code finish} is non-null on the request's last token.
     */
    void onToken(int index, FinishReason finish);
}
