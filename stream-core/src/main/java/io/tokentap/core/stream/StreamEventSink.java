package io.tokentap.core.stream;

/**
 * Receives the typed events a {@link StreamDecoder} finds in a response. Every call carries the
 * {@code System.nanoTime()} at which the bytes holding the event were read, as given to
 * {@link StreamDecoder#feed}.
 *
 * <p>Callbacks instead of event objects keep the hot path free of per-event allocation. Text is only
 * materialised when {@link #wantsText()} says so (the proxy never needs it; tests and the load generator's
 * correctness checks do).
 */
public interface StreamEventSink {

    /**
     * Generated content: a text, reasoning or tool-call delta.
     *
     * @param tokens the token count the format states for this event (TGI, Ollama and vLLM's speculative chunks
     *               can carry several), or 0 when the format does not say; consumers count such an event as one
     * @param text   the delta's text when {@link #wantsText()} is true, else {@code null}
     */
    void content(long nanos, ContentKind kind, int tokens, String text);

    /** A chunk that carries no generated content: the role-only first chunk, an empty delta, a ping. */
    void empty(long nanos);

    /** Token usage reported by the server. May arrive more than once (Anthropic sends cumulative figures). */
    void usage(long nanos, Usage usage);

    /** An error reported inside the stream ({@code event: error}, an {@code "error"} object). */
    void error(long nanos, String type, String message);

    /** The stream's own end marker: {@code [DONE]}, {@code message_stop}, {@code response.completed}, {@code done:true}. */
    void done(long nanos);

    /** Whether {@link #content} should receive the delta's text. */
    default boolean wantsText() {
        return false;
    }
}
