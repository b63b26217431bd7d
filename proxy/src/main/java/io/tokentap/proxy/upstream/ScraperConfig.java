package io.tokentap.proxy.upstream;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * The {@code scraper} section of the proxy config.
 *
 * <pre>{@code
 * scraper:
 *   enabled: true
 *   metricsUrl: null            # default: <upstream>/metrics
 *   dcgmUrl: null               # e.g. http://dcgm-exporter.gpu:9400/metrics
 *   dcgmPod: null               # keep only the GPUs DCGM attributes to this pod (e.g. from $POD_NAME)
 *   interval: 1s
 *   timeout: 800ms
 *   staleAfter: 5s              # older figures are reported as unknown (NaN)
 * }</pre>
 *
 * @param metricsUrl the inference server's metrics, or {@code null} for {@code <upstream>/metrics}
 * @param dcgmUrl    the DCGM exporter, or {@code null} for none
 */
public record ScraperConfig(boolean enabled, URI metricsUrl, URI dcgmUrl, String dcgmPod, Duration interval,
                            Duration timeout, Duration staleAfter) {

    public static final ScraperConfig DEFAULT = new ScraperConfig(true, null, null, null, Duration.ofSeconds(1),
            Duration.ofMillis(800), Duration.ofSeconds(5));

    public ScraperConfig {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(staleAfter, "staleAfter");
        if (interval.compareTo(Duration.ofMillis(100)) < 0) {
            throw new IllegalArgumentException("interval: " + interval + " (expected: >= 100ms)");
        }
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(interval) > 0) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0 and <= interval " + interval + ")");
        }
        if (staleAfter.compareTo(interval) < 0) {
            throw new IllegalArgumentException("staleAfter: " + staleAfter + " (expected: >= interval " + interval + ")");
        }
        checkHttp("metricsUrl", metricsUrl);
        checkHttp("dcgmUrl", dcgmUrl);
    }

    private static void checkHttp(String name, URI u) {
        if (u != null && !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
            throw new IllegalArgumentException(name + ": " + u + " (expected: an http:// or https:// URL)");
        }
    }

    /** The metrics URL to poll for an upstream at {@code upstream}. */
    public URI metricsUrlFor(URI upstream) {
        if (metricsUrl != null) {
            return metricsUrl;
        }
        String base = upstream.toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/metrics");
    }
}
