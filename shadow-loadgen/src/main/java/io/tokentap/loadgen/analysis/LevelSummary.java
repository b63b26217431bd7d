package io.tokentap.loadgen.analysis;

/**
 * What one sweep level (or one stage of a run) measured, reduced to the figures the knee finder, the SLA tiers and
 * the report need. Latencies are in seconds; ratios are fractions (0.01 is 1%). Figures the run could not observe
 * (the server's KV-cache usage and queue depth when it exposes no metrics) are {@code NaN}.
 *
 * <pre>{@code
 * LevelSummary s = LevelSummary.builder(8).outputTokensPerSec(950).requestsPerSec(4.1)
 *         .ttft(0.120, 0.310, 0.480).itl(0.021, 0.030, 0.045).errorRate(0.0).build();
 * }</pre>
 *
 * @param load the level: concurrent streams in a concurrency sweep, requests per second in a rate sweep
 * @param clientBound the load generator's self-check found the client, not the server, was the limit
 * @param outputTokensPerSec generated tokens per second over the steady-state window
 * @param inputTokensPerSec prompt tokens per second over the same window, {@code NaN} if unknown
 * @param requestsPerSec completed requests per second over the steady-state window
 * @param ttftP50 time to first token, median, seconds
 * @param ttftP95 time to first token, 95th percentile, seconds
 * @param ttftP99 time to first token, 99th percentile, seconds
 * @param itlP50 inter-token latency, median, seconds
 * @param itlP95 inter-token latency, 95th percentile, seconds
 * @param itlP99 inter-token latency, 99th percentile, seconds
 * @param e2eMean mean end-to-end request latency, seconds ({@code NaN} if unknown); used by Little's law
 * @param errorRate failed requests / all requests, 0..1
 * @param kvCacheUsage the server's KV-cache usage, 0..1, {@code NaN} if unknown
 * @param queueDepth requests waiting in the server's queue, {@code NaN} if unknown
 * @param requests how many requests the level completed (informative)
 */
public record LevelSummary(
        double load,
        boolean clientBound,
        double outputTokensPerSec,
        double inputTokensPerSec,
        double requestsPerSec,
        double ttftP50,
        double ttftP95,
        double ttftP99,
        double itlP50,
        double itlP95,
        double itlP99,
        double e2eMean,
        double errorRate,
        double kvCacheUsage,
        double queueDepth,
        long requests) {

    public LevelSummary {
        if (!(load > 0) || Double.isInfinite(load)) {
            throw new IllegalArgumentException("load: " + load + " (expected: a finite number > 0)");
        }
        requireNonNegative("outputTokensPerSec", outputTokensPerSec);
        if (!Double.isNaN(inputTokensPerSec)) {
            requireNonNegative("inputTokensPerSec", inputTokensPerSec);
        }
        requireNonNegative("requestsPerSec", requestsPerSec);
        requireNonNegative("ttftP50", ttftP50);
        requireNonNegative("ttftP95", ttftP95);
        requireNonNegative("ttftP99", ttftP99);
        requireNonNegative("itlP50", itlP50);
        requireNonNegative("itlP95", itlP95);
        requireNonNegative("itlP99", itlP99);
        if (!Double.isNaN(e2eMean)) {
            requireNonNegative("e2eMean", e2eMean);
        }
        if (!(errorRate >= 0 && errorRate <= 1)) {
            throw new IllegalArgumentException("errorRate: " + errorRate + " (expected: 0..1)");
        }
        if (!Double.isNaN(kvCacheUsage) && !(kvCacheUsage >= 0 && kvCacheUsage <= 1)) {
            throw new IllegalArgumentException("kvCacheUsage: " + kvCacheUsage + " (expected: 0..1 or NaN)");
        }
        if (!Double.isNaN(queueDepth)) {
            requireNonNegative("queueDepth", queueDepth);
        }
        if (requests < 0) {
            throw new IllegalArgumentException("requests: " + requests + " (expected: >= 0)");
        }
    }

    private static void requireNonNegative(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + ": " + v + " (expected: a finite number >= 0)");
        }
    }

    /** p99 over p50 of TTFT, or {@code NaN} when the median is zero. */
    public double ttftTailRatio() {
        return ttftP50 > 0 ? ttftP99 / ttftP50 : Double.NaN;
    }

    /** A builder for tests and adapters; unset latencies are 0, unset server figures are {@code NaN}. */
    public static Builder builder(double load) {
        return new Builder(load);
    }

    /** Fluent construction of a {@link LevelSummary}. */
    public static final class Builder {
        private final double load;
        private boolean clientBound;
        private double outputTokensPerSec;
        private double inputTokensPerSec = Double.NaN;
        private double requestsPerSec;
        private double ttftP50;
        private double ttftP95;
        private double ttftP99;
        private double itlP50;
        private double itlP95;
        private double itlP99;
        private double e2eMean = Double.NaN;
        private double errorRate;
        private double kvCacheUsage = Double.NaN;
        private double queueDepth = Double.NaN;
        private long requests;

        private Builder(double load) {
            this.load = load;
        }

        public Builder clientBound(boolean v) {
            clientBound = v;
            return this;
        }

        public Builder outputTokensPerSec(double v) {
            outputTokensPerSec = v;
            return this;
        }

        public Builder inputTokensPerSec(double v) {
            inputTokensPerSec = v;
            return this;
        }

        public Builder requestsPerSec(double v) {
            requestsPerSec = v;
            return this;
        }

        public Builder ttft(double p50, double p95, double p99) {
            ttftP50 = p50;
            ttftP95 = p95;
            ttftP99 = p99;
            return this;
        }

        public Builder itl(double p50, double p95, double p99) {
            itlP50 = p50;
            itlP95 = p95;
            itlP99 = p99;
            return this;
        }

        public Builder e2eMean(double v) {
            e2eMean = v;
            return this;
        }

        public Builder errorRate(double v) {
            errorRate = v;
            return this;
        }

        public Builder kvCacheUsage(double v) {
            kvCacheUsage = v;
            return this;
        }

        public Builder queueDepth(double v) {
            queueDepth = v;
            return this;
        }

        public Builder requests(long v) {
            requests = v;
            return this;
        }

        public LevelSummary build() {
            return new LevelSummary(load, clientBound, outputTokensPerSec, inputTokensPerSec, requestsPerSec, ttftP50, ttftP95, ttftP99,
                    itlP50, itlP95, itlP99, e2eMean, errorRate, kvCacheUsage, queueDepth, requests);
        }
    }
}
