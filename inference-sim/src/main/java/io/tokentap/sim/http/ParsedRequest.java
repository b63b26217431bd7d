package io.tokentap.sim.http;

/**
 * A validated generation request.
 *
 * @param maxTokens the client's max_tokens / max_completion_tokens, or 0 when it set none
 */
record ParsedRequest(Route route, String model, boolean stream, boolean includeUsage, int maxTokens,
        boolean ignoreEos, int promptTokens) {}
