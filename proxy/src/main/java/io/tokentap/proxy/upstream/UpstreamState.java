package io.tokentap.proxy.upstream;

import java.time.Duration;

/**
 * What other parts of the proxy (load shedding, readiness) know about the inference server, from the scraper.
 * Reads are cheap and never block: they return the last scrape's figures, or {@code NaN} for a figure that is not
 * known or is older than the configured staleness limit. A stale value is never returned as current.
 *
 * <pre>{@code
 * double kv = upstream.current().kvCacheUsage();
 * if (!Double.isNaN(kv) && kv > 0.95) { shed(); }
 * }</pre>
 */
public interface UpstreamState {

    /** An upstream about which nothing is known. */
    UpstreamState UNKNOWN = new UpstreamState() {
        @Override
        public UpstreamFigures current() {
            return UpstreamFigures.UNKNOWN;
        }

        @Override
        public boolean reachable() {
            return false;
        }

        @Override
        public Duration age() {
            return null;
        }
    };

    /** The current figures; stale or unknown ones are {@code NaN}. */
    UpstreamFigures current();

    /** Whether the upstream answered HTTP within the staleness limit. */
    boolean reachable();

    /** Time since the last successful scrape of the upstream, or {@code null} if none succeeded yet. */
    Duration age();
}
