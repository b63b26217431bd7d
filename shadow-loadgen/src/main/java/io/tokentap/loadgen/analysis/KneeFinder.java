package io.tokentap.loadgen.analysis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Finds the breaking point of a sweep: the first level, by increasing load, at which any enabled
 * {@link Criterion} fires. Levels the load generator marked {@code clientBound} are never counted: they neither
 * break nor serve as the baseline for the throughput criterion, because what they measured is the client.
 *
 * <pre>{@code
 * KneeResult r = new KneeFinder(KneeCriteria.defaults()).find(levels);
 * System.out.println(r.describe());
 * }</pre>
 *
 * Pure and stateless: the same levels give the same answer.
 */
public final class KneeFinder {

    private final KneeCriteria criteria;

    public KneeFinder(KneeCriteria criteria) {
        this.criteria = Objects.requireNonNull(criteria, "criteria");
    }

    public KneeCriteria criteria() {
        return criteria;
    }

    public KneeResult find(List<LevelSummary> levels) {
        List<LevelSummary> sorted = new ArrayList<>(levels);
        sorted.sort(Comparator.comparingDouble(LevelSummary::load));
        LevelSummary previous = null;
        List<LevelSummary> counted = new ArrayList<>();
        for (LevelSummary level : sorted) {
            if (level.clientBound()) {
                continue;
            }
            List<Criterion> fired = new ArrayList<>();
            List<String> reasons = new ArrayList<>();
            evaluate(previous, throughputBaseline(counted, previous, level), level, fired, reasons);
            counted.add(level);
            if (!fired.isEmpty()) {
                return new KneeResult(sorted, Optional.of(level), Optional.ofNullable(previous), fired, reasons);
            }
            previous = level;
        }
        return new KneeResult(sorted, Optional.empty(), Optional.ofNullable(previous), List.of(), List.of());
    }

    /**
     * The level a throughput gain is judged against: the highest counted level at or below half this one's load (a
     * doubling, as the criterion is stated), or the one just below when there is none. Bisection levels close
     * together would otherwise be judged on a gain of a fraction of a percent, which is noise.
     */
    private static LevelSummary throughputBaseline(List<LevelSummary> counted, LevelSummary previous,
                                                   LevelSummary level) {
        LevelSummary base = null;
        for (LevelSummary c : counted) {
            if (c.load() <= level.load() / 2) {
                base = c;
            }
        }
        return base != null ? base : previous;
    }

    private void evaluate(LevelSummary previous, LevelSummary baseline, LevelSummary level, List<Criterion> fired,
                          List<String> reasons) {
        if (criteria.isEnabled(Criterion.ERROR_RATE) && level.errorRate() > criteria.maxErrorRate()) {
            fired.add(Criterion.ERROR_RATE);
            reasons.add(fmt("error rate %.2f%% > %.2f%%", 100 * level.errorRate(), 100 * criteria.maxErrorRate()));
        }
        if (criteria.isEnabled(Criterion.TTFT_SLA) && level.ttftP95() > criteria.slaTtftP95Seconds()) {
            fired.add(Criterion.TTFT_SLA);
            reasons.add(fmt("p95 TTFT %.3f s > SLA %.3f s", level.ttftP95(), criteria.slaTtftP95Seconds()));
        }
        double tail = level.ttftTailRatio();
        boolean enoughForTail = level.requests() == 0 || level.requests() >= criteria.minTailRequests();
        if (criteria.isEnabled(Criterion.TAIL_RATIO) && enoughForTail && tail > criteria.maxTailRatio()) {
            fired.add(Criterion.TAIL_RATIO);
            reasons.add(fmt("p99/p50 TTFT %.1f > %.1f", tail, criteria.maxTailRatio()));
        }
        if (criteria.isEnabled(Criterion.KV_CACHE_SATURATED) && kvSaturated(previous, level)) {
            fired.add(Criterion.KV_CACHE_SATURATED);
            reasons.add(fmt("KV-cache usage %.1f%% >= %.1f%% while the queue grew to %.1f",
                    100 * level.kvCacheUsage(), 100 * criteria.kvCacheLimit(), level.queueDepth()));
        }
        if (criteria.isEnabled(Criterion.THROUGHPUT_PLATEAU) && baseline != null
                && baseline.outputTokensPerSec() > 0) {
            double ratio = level.outputTokensPerSec() / baseline.outputTokensPerSec();
            double required = criteria.requiredThroughputRatio(baseline.load(), level.load());
            if (ratio < required) {
                fired.add(Criterion.THROUGHPUT_PLATEAU);
                reasons.add(fmt("output tokens/s %+.1f%% from load %s to %s, less than the %+.1f%% required",
                        100 * (ratio - 1), KneeResult.formatLoad(baseline.load()),
                        KneeResult.formatLoad(level.load()), 100 * (required - 1)));
            }
        }
    }

    private boolean kvSaturated(LevelSummary previous, LevelSummary level) {
        if (Double.isNaN(level.kvCacheUsage()) || Double.isNaN(level.queueDepth())
                || level.kvCacheUsage() < criteria.kvCacheLimit()) {
            return false;
        }
        // "Queue grows": more waiting than at the level below; at the first counted level any queue counts.
        if (previous == null || Double.isNaN(previous.queueDepth())) {
            return level.queueDepth() > 0;
        }
        return level.queueDepth() > previous.queueDepth();
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
