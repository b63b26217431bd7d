package io.tokentap.sim.http;

import io.tokentap.sim.engine.FinishReason;

/**
 * How one wire family writes a generation: the SSE events of a stream, or the body of a non-streamed answer.
 * Implementations are per request (they hold its id and model) and build strings on the channel's event loop.
 */
interface StreamFormat {
    /** Events sent once the engine accepted the request, before any token (may be empty). */
    String open();

    /** Appends the event carrying {@code text} (one token or several merged). */
    void token(StringBuilder out, CharSequence text);

    /** Events after the last token. */
    String close(FinishReason finish, int promptTokens, int completionTokens);

    /** A non-streamed answer's JSON body. */
    String body(CharSequence text, FinishReason finish, int promptTokens, int completionTokens);

    /** The id the response carries ({@code chatcmpl-…}, {@code cmpl-…}, {@code msg_…}). */
    String id();
}
