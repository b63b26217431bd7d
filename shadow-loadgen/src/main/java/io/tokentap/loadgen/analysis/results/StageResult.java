package io.tokentap.loadgen.analysis.results;

import io.tokentap.loadgen.analysis.LevelSummary;
import java.util.Objects;
import java.util.Optional;

/**
 * One stage (or sweep level) as read from a result file.
 *
 * @param name the stage's name, e.g. {@code "c=16"}
 * @param load its load level (concurrency or requests/s)
 * @param clientBound the load generator's self-check found the client was the limit
 * @param durationSeconds the steady-state window the rates were measured over
 * @param requests completed requests, successful or not
 * @param errors failed requests
 * @param outputTokensPerSec output tokens per second
 * @param inputTokensPerSec prompt tokens per second, {@code NaN} if unknown
 * @param requestsPerSec completed requests per second
 * @param kvCacheUsage the server's KV-cache usage 0..1, {@code NaN} if unknown
 * @param queueDepth the server's queue depth, {@code NaN} if unknown
 * @param ttft time to first token
 * @param itl inter-token latency, if recorded
 * @param e2e end-to-end latency, if recorded
 */
public record StageResult(
        String name,
        double load,
        boolean clientBound,
        double durationSeconds,
        long requests,
        long errors,
        double outputTokensPerSec,
        double inputTokensPerSec,
        double requestsPerSec,
        double kvCacheUsage,
        double queueDepth,
        LatencySamples ttft,
        Optional<LatencySamples> itl,
        Optional<LatencySamples> e2e) {

    public StageResult {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(ttft, "ttft");
        Objects.requireNonNull(itl, "itl");
        Objects.requireNonNull(e2e, "e2e");
        if (errors < 0 || requests < errors) {
            throw new IllegalArgumentException("errors: " + errors + " of " + requests
                    + " requests (expected: 0 <= errors <= requests)");
        }
    }

    /** A stage whose prompt-token rate is unknown. */
    public StageResult(String name, double load, boolean clientBound, double durationSeconds, long requests,
            long errors, double outputTokensPerSec, double requestsPerSec, double kvCacheUsage, double queueDepth,
            LatencySamples ttft, Optional<LatencySamples> itl, Optional<LatencySamples> e2e) {
        this(name, load, clientBound, durationSeconds, requests, errors, outputTokensPerSec, Double.NaN,
                requestsPerSec, kvCacheUsage, queueDepth, ttft, itl, e2e);
    }

    /** Failed requests over all requests; 0 when there were none. */
    public double errorRate() {
        return requests == 0 ? 0 : (double) errors / requests;
    }

    /** The figures the knee finder and the report use. */
    public LevelSummary toLevelSummary() {
        LevelSummary.Builder b = LevelSummary.builder(load)
                .clientBound(clientBound)
                .outputTokensPerSec(outputTokensPerSec)
                .inputTokensPerSec(inputTokensPerSec)
                .requestsPerSec(requestsPerSec)
                .ttft(orZero(ttft.percentile(50)), orZero(ttft.percentile(95)), orZero(ttft.percentile(99)))
                .errorRate(errorRate())
                .kvCacheUsage(kvCacheUsage)
                .queueDepth(queueDepth)
                .requests(requests);
        itl.ifPresent(s -> b.itl(orZero(s.percentile(50)), orZero(s.percentile(95)), orZero(s.percentile(99))));
        e2e.ifPresent(s -> b.e2eMean(s.mean()));
        return b.build();
    }

    private static double orZero(double v) {
        return Double.isNaN(v) ? 0 : v;
    }
}
