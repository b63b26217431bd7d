package io.tokentap.loadgen.analysis;

/**
 * Alert thresholds derived from a sweep: page before users see the knee.
 *
 * @param ttftP95Seconds alert when p95 TTFT exceeds this: the p99 TTFT measured at the last level below the knee
 * @param itlP95Seconds alert when p95 ITL exceeds this: the p99 ITL measured at the last level below the knee
 * @param tailRatio alert when p99/p50 TTFT exceeds this
 * @param errorRate alert when the error rate exceeds this, 0..1
 * @param kvCacheUsage alert when KV-cache usage stays above this, 0..1
 * @param fromLoad the level the latency thresholds were taken from
 */
public record AlertThresholds(
        double ttftP95Seconds, double itlP95Seconds, double tailRatio, double errorRate, double kvCacheUsage,
        double fromLoad) {}
