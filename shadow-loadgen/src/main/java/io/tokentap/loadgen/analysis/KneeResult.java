package io.tokentap.loadgen.analysis;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What the knee finder concluded about a sweep.
 *
 * @param levels the levels it examined, sorted by load
 * @param breaking the first level past the breaking point, if any criterion fired
 * @param lastGood the highest counted level below {@code breaking} (or the highest counted level when nothing
 *     fired); empty when the very first counted level already broke, or no level counted
 * @param fired the criteria that fired at {@code breaking}, in {@link Criterion} order; empty when none fired
 * @param reasons one human sentence per fired criterion, with the measured figure and the limit
 */
public record KneeResult(
        List<LevelSummary> levels,
        Optional<LevelSummary> breaking,
        Optional<LevelSummary> lastGood,
        List<Criterion> fired,
        List<String> reasons) {

    public KneeResult {
        levels = List.copyOf(levels);
        Objects.requireNonNull(breaking, "breaking");
        Objects.requireNonNull(lastGood, "lastGood");
        fired = List.copyOf(fired);
        reasons = List.copyOf(reasons);
        if (breaking.isPresent() == fired.isEmpty()) {
            throw new IllegalArgumentException("fired: " + fired + " (expected: non-empty exactly when a breaking"
                    + " level is present)");
        }
    }

    public boolean found() {
        return breaking.isPresent();
    }

    /** The criterion that named the breaking point (the first of {@link #fired}). */
    public Optional<Criterion> criterion() {
        return fired.isEmpty() ? Optional.empty() : Optional.of(fired.get(0));
    }

    /** The highest load examined, counted or not; {@code NaN} when there were no levels. */
    public double maxLoad() {
        return levels.isEmpty() ? Double.NaN : levels.get(levels.size() - 1).load();
    }

    /**
     * One line for people, e.g. {@code "breaking point at load 32: p95 TTFT over SLA (p95 TTFT 0.812 s > SLA
     * 0.500 s)"} or {@code "no breaking point up to the max level (64)"}.
     */
    public String describe() {
        if (breaking.isEmpty()) {
            if (levels.isEmpty()) {
                return "no levels measured";
            }
            if (lastGood.isEmpty()) {
                return "no breaking point found: every level up to " + formatLoad(maxLoad())
                        + " was client-bound (the load generator, not the server, was the limit)";
            }
            double good = lastGood.get().load();
            if (good < maxLoad()) {
                // The levels above the last counted one were client-bound: the server was not shown to hold them.
                return "no breaking point up to " + formatLoad(good) + ", the highest level that was not client-bound"
                        + " (above it, up to " + formatLoad(maxLoad()) + ", the load generator, not the server, was"
                        + " the limit)";
            }
            return "no breaking point up to the max level (" + formatLoad(maxLoad()) + ")";
        }
        return "breaking point at load " + formatLoad(breaking.get().load()) + ": " + fired.get(0).label() + " ("
                + String.join("; ", reasons) + ")";
    }

    static String formatLoad(double load) {
        return load == Math.rint(load) ? Long.toString((long) load) : String.format(Locale.ROOT, "%.3g", load);
    }
}
