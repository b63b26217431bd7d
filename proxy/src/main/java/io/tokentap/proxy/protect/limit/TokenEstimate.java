package io.tokentap.proxy.protect.limit;

/**
 * What a request will cost in tokens, estimated before it is sent.
 *
 * @param promptTokens  the prompt, counted with the configured encoding
 * @param outputTokens  the most the response may generate: {@code max_tokens} (or {@code max_completion_tokens},
 *                      {@code max_output_tokens}) times {@code n}, else the configured default
 * @param parsed        whether the body was JSON; when not, the prompt is estimated from its size
 * @param model         the request's {@code model}, or {@code null}
 * @param stream        whether the request asked for a stream
 */
public record TokenEstimate(long promptTokens, long outputTokens, boolean parsed, String model, boolean stream) {

    public long total() {
        return promptTokens + outputTokens;
    }
}
