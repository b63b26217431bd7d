package io.tokentap.proxy.protect.shed;

/**
 * The upstream's own load, as its metrics report it (vLLM {@code kv_cache_usage_perc} and
 * {@code num_requests_waiting}, SGLang {@code token_usage} and {@code num_queue_reqs}, ...). The upstream scraper
 * implements it; reads must be cheap and non-blocking, since they happen on every admission.
 */
public interface UpstreamSignals {

    /** Signals that are never known: nothing is ever shed. */
    UpstreamSignals NONE = new UpstreamSignals() {
        @Override
        public double kvCacheUsage() {
            return Double.NaN;
        }

        @Override
        public long waitingRequests() {
            return -1;
        }
    };

    /** The KV-cache usage as a fraction in [0, 1], or {@code NaN} when unknown (no scrape yet, or a stale one). */
    double kvCacheUsage();

    /** Requests waiting in the upstream's queue, or {@code -1} when unknown. */
    long waitingRequests();
}
