package io.tokentap.proxy.protect;

/**
 * A tenant's limits as the {@code x-ratelimit-*} headers state them: limit, remaining and time to a full reset,
 * for requests and for tokens.
 */
public record RateLimitStatus(long limitRequests, long remainingRequests, long resetRequestsNanos,
                              long limitTokens, long remainingTokens, long resetTokensNanos) {
}
