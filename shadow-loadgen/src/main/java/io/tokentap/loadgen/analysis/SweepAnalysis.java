package io.tokentap.loadgen.analysis;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a sweep concluded: the breaking point, the SLA tier of each level, and the recommendations. Made by
 * {@link Recommender#analyze}.
 *
 * @param mode what the load numbers count
 * @param knee the breaking point (or its absence)
 * @param tiers the SLA tier of each of {@code knee.levels()}, in the same order
 * @param operatingLow the low end of the recommended operating point, in load units
 * @param operatingHigh the high end of the recommended operating point, in load units
 * @param operatingIsLowerBound true when no breaking point was found, so the server holds at least this much
 * @param saturationRequestsPerSec the highest request throughput a counted level reached
 * @param saturationOutputTokensPerSec the highest output-token throughput a counted level reached
 * @param rateLimits proxy rate limits at a share of the saturation throughput; empty when no level counted
 * @param alerts alert thresholds; empty when no level counted
 * @param capacity Little's law for the user's target; empty when no target was given or latency is unknown
 */
public record SweepAnalysis(
        LoadMode mode,
        KneeResult knee,
        List<SlaTier> tiers,
        double operatingLow,
        double operatingHigh,
        boolean operatingIsLowerBound,
        double saturationRequestsPerSec,
        double saturationOutputTokensPerSec,
        Optional<RateLimits> rateLimits,
        Optional<AlertThresholds> alerts,
        Optional<Capacity> capacity) {

    public SweepAnalysis {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(knee, "knee");
        tiers = List.copyOf(tiers);
        if (tiers.size() != knee.levels().size()) {
            throw new IllegalArgumentException("tiers: " + tiers.size() + " entries (expected: one per level, "
                    + knee.levels().size() + ")");
        }
        Objects.requireNonNull(rateLimits, "rateLimits");
        Objects.requireNonNull(alerts, "alerts");
        Objects.requireNonNull(capacity, "capacity");
    }

    public List<LevelSummary> levels() {
        return knee.levels();
    }
}
