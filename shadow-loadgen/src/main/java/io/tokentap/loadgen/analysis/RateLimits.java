package io.tokentap.loadgen.analysis;

import java.util.Locale;

/**
 * Rate limits for the proxy, derived from a sweep. {@link #toYaml()} renders them in the shape of the proxy's
 * {@code limits:} section ({@code io.tokentap.proxy.protect.ProtectionConfig.Limits}: {@code perTenant},
 * {@code requestsPerMinute}, {@code tokensPerMinute}, {@code maxStreamsInFlight}); the keys must match the proxy's
 * configuration. The proxy applies the request and token rates per tenant, so the figures here are the whole
 * server's budget, to be divided among the tenants that share it.
 *
 * @param requestsPerMinute the request rate limit
 * @param tokensPerMinute the token rate limit
 * @param tokensIncludePrompt true when {@code tokensPerMinute} counts prompt plus completion tokens, as the proxy
 *     does; false when the run did not report prompt tokens and only completion tokens were counted
 * @param maxStreamsInFlight the concurrency cap, or 0 when the sweep could not derive one
 * @param fraction the share of the saturation throughput these limits allow, e.g. 0.65
 */
public record RateLimits(
        long requestsPerMinute, long tokensPerMinute, boolean tokensIncludePrompt, long maxStreamsInFlight,
        double fraction) {

    public RateLimits {
        if (requestsPerMinute < 1) {
            throw new IllegalArgumentException("requestsPerMinute: " + requestsPerMinute + " (expected: >= 1)");
        }
        if (tokensPerMinute < 1) {
            throw new IllegalArgumentException("tokensPerMinute: " + tokensPerMinute + " (expected: >= 1)");
        }
        if (maxStreamsInFlight < 0) {
            throw new IllegalArgumentException("maxStreamsInFlight: " + maxStreamsInFlight
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
                "# %.0f%% of the saturation throughput measured by the sweep: the whole server's budget.%n",
                100 * fraction));
        b.append("# The rates apply per tenant: divide them among the tenants that share this server.\n");
        b.append("limits:\n");
        b.append("  perTenant: true\n");
        b.append("  requestsPerMinute: ").append(requestsPerMinute).append('\n');
        b.append("  tokensPerMinute: ").append(tokensPerMinute)
                .append(tokensIncludePrompt ? "  # prompt + completion tokens\n"
                        : "  # completion tokens only: the run did not report prompt tokens\n");
        if (maxStreamsInFlight > 0) {
            b.append("  maxStreamsInFlight: ").append(maxStreamsInFlight).append('\n');
        }
        return b.toString();
    }
}
