package io.tokentap.loadgen.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Turns sweep levels into decisions: the breaking point ({@link KneeFinder}), the SLA tier of each level, an
 * operating point at 70–80% of the breaking load, proxy rate limits at a share (default 65%, inside the 60–70%
 * band) of the saturation throughput, alert thresholds, and capacity by Little's law.
 *
 * <pre>{@code
 * SweepAnalysis a = Recommender.defaults().analyze(levels, LoadMode.CONCURRENCY, OptionalDouble.of(50));
 * System.out.println(a.rateLimits().orElseThrow().toYaml());
 * }</pre>
 */
public final class Recommender {

    /** The operating point band, as shares of the breaking load. */
    public static final double OPERATING_LOW = 0.70;
    public static final double OPERATING_HIGH = 0.80;

    private final KneeFinder finder;
    private final SlaPolicy sla;
    private final double limitFraction;

    /**
     * @param limitFraction the share of the saturation throughput the rate limits allow, 0.6–0.7 recommended
     */
    public Recommender(KneeCriteria criteria, SlaPolicy sla, double limitFraction) {
        this.finder = new KneeFinder(criteria);
        this.sla = Objects.requireNonNull(sla, "sla");
        if (!(limitFraction > 0 && limitFraction <= 1)) {
            throw new IllegalArgumentException("limitFraction: " + limitFraction + " (expected: 0 < x <= 1)");
        }
        this.limitFraction = limitFraction;
    }

    public static Recommender defaults() {
        return new Recommender(KneeCriteria.defaults(), SlaPolicy.defaults(), 0.65);
    }

    /**
     * @param targetRequestsPerSec the throughput to size for with Little's law, if the user gave one
     */
    public SweepAnalysis analyze(List<LevelSummary> levels, LoadMode mode, OptionalDouble targetRequestsPerSec) {
        KneeResult knee = finder.find(levels);
        List<SlaTier> tiers = new ArrayList<>();
        double maxRps = 0;
        double maxTokens = 0;
        double maxAllTokens = 0;
        boolean promptKnown = true;
        LevelSummary firstCounted = null;
        LevelSummary lastCounted = null;
        for (LevelSummary l : knee.levels()) {
            tiers.add(sla.classify(l));
            if (!l.clientBound()) {
                maxRps = Math.max(maxRps, l.requestsPerSec());
                maxTokens = Math.max(maxTokens, l.outputTokensPerSec());
                promptKnown &= !Double.isNaN(l.inputTokensPerSec());
                maxAllTokens = Math.max(maxAllTokens, l.outputTokensPerSec() + l.inputTokensPerSec());
                firstCounted = firstCounted == null ? l : firstCounted;
                lastCounted = l;
            }
        }
        if (lastCounted == null) {
            return new SweepAnalysis(mode, knee, tiers, Double.NaN, Double.NaN, true, 0, 0, Optional.empty(),
                    Optional.empty(), Optional.empty());
        }

        double base = knee.breaking().map(LevelSummary::load).orElse(lastCounted.load());
        double low = OPERATING_LOW * base;
        double high = OPERATING_HIGH * base;
        if (mode == LoadMode.CONCURRENCY) {
            low = Math.max(1, Math.floor(low));
            high = Math.max(low, Math.floor(high));
        }

        // The level the thresholds and latencies are read at: the last one below the knee, or, when the very
        // first level already broke, that level.
        LevelSummary reference = knee.lastGood().orElse(firstCounted);
        double latency = reference.e2eMean();
        long maxStreams;
        if (mode == LoadMode.CONCURRENCY) {
            maxStreams = (long) high;
        } else {
            maxStreams = latency > 0 ? (long) Math.ceil(high * latency) : 0;
        }

        Optional<RateLimits> limits = Optional.empty();
        if (maxRps > 0 && maxTokens > 0) {
            // The proxy charges prompt plus completion tokens; fall back to completion tokens alone when the run
            // did not report prompt tokens.
            double tokensPerSec = promptKnown ? maxAllTokens : maxTokens;
            limits = Optional.of(new RateLimits(
                    Math.max(1, Math.round(limitFraction * maxRps * 60)),
                    Math.max(1, Math.round(limitFraction * tokensPerSec * 60)),
                    promptKnown,
                    maxStreams,
                    limitFraction));
        }
        KneeCriteria c = finder.criteria();
        AlertThresholds alerts = new AlertThresholds(reference.ttftP99(), reference.itlP99(), c.maxTailRatio(),
                c.maxErrorRate(), Math.max(0, c.kvCacheLimit() - 0.05), reference.load());

        Optional<Capacity> capacity = Optional.empty();
        if (targetRequestsPerSec.isPresent() && latency > 0) {
            capacity = Optional.of(Capacity.of(targetRequestsPerSec.getAsDouble(), latency, maxStreams));
        }
        return new SweepAnalysis(mode, knee, tiers, low, high, !knee.found(), maxRps, maxTokens, limits,
                Optional.of(alerts), capacity);
    }
}
