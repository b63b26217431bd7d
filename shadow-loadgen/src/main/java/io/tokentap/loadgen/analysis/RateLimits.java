package io.tokentap.loadgen.analysis;

import java.util.Locale;

/**
 * Rate limits for the proxy, derived from a sweep. {@link #toYaml()} renders them in the proxy's configuration
 * shape ({@code limits: requestsPerMinute / tokensPerMinute / maxConcurrentStreams}); the keys must match the
 * proxy's configuration reader.
 *
 * @param requestsPerMinute the request rate limit
 * @param tokensPerMinute the output-token rate limit
 * @param maxConcurrentStreams the concurrency cap, or 0 when the sweep could not derive one
 * @param fraction the share of the saturation throughput these limits allow, e.g. 0.65
 */
public record RateLimits(long requestsPerMinute, long tokensPerMinute, long maxConcurrentStreams, double fraction) {

    public RateLimits {
        if (requestsPerMinute < 1) {
            throw new IllegalArgumentException("requestsPerMinute: " + requestsPerMinute + " (expected: >= 1)");
        }
        if (tokensPerMinute < 1) {
            throw new IllegalArgumentException("tokensPerMinute: " + tokensPerMinute + " (expected: >= 1)");
        }
        if (maxConcurrentStreams < 0) {
            throw new IllegalArgumentException("maxConcurrentStreams: " + maxConcurrentStreams
                    + " (expected: >= 0; 0 means unknown)");
        }
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction: " + fraction + " (expected: 0 < x <= 1)");
        }
    }

    /** The proxy configuration snippet, ready to paste. */
    public String toYaml() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT,
                "# %.0f%% of the saturation throughput measured by the sweep%n", 100 * fraction));
        b.append("limits:\n");
        b.append("  requestsPerMinute: ").append(requestsPerMinute).append('\n');
        b.append("  tokensPerMinute: ").append(tokensPerMinute).append("  # output tokens\n");
        if (maxConcurrentStreams > 0) {
            b.append("  maxConcurrentStreams: ").append(maxConcurrentStreams).append('\n');
        }
        return b.toString();
    }
}
