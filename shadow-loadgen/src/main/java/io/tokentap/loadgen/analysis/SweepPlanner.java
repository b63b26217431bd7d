package io.tokentap.loadgen.analysis;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * Decides which level a sweep measures next: first exponentially (start, 2×start, 4×start, … up to the maximum,
 * which is always included), then, once the {@link KneeFinder} sees a breaking point, by bisection between the
 * last good level and the first bad one until the gap is within the resolution. The sweep command only runs
 * levels:
 *
 * <pre>{@code
 * SweepPlanner planner = SweepPlanner.concurrency(1, 256);
 * List<LevelSummary> done = new ArrayList<>();
 * for (OptionalDouble next = planner.next(done, finder); next.isPresent(); next = planner.next(done, finder)) {
 *     done.add(runLevel(next.getAsDouble()));
 * }
 * }</pre>
 *
 * @param startLoad the first level, > 0
 * @param maxLoad the last exponential level, >= startLoad
 * @param integerLevels levels are whole numbers (concurrency); otherwise any positive number (request rate)
 * @param resolution bisection stops when {@code firstBad - lastGood <= resolution × lastGood} (and, for integer
 *     levels, when they are adjacent)
 */
public record SweepPlanner(double startLoad, double maxLoad, boolean integerLevels, double resolution) {

    public SweepPlanner {
        if (!(startLoad > 0) || Double.isInfinite(startLoad)) {
            throw new IllegalArgumentException("startLoad: " + startLoad + " (expected: a finite number > 0)");
        }
        if (!(maxLoad >= startLoad) || Double.isInfinite(maxLoad)) {
            throw new IllegalArgumentException("maxLoad: " + maxLoad + " (expected: finite and >= startLoad "
                    + startLoad + ")");
        }
        if (integerLevels && (startLoad != Math.rint(startLoad) || maxLoad != Math.rint(maxLoad))) {
            throw new IllegalArgumentException("startLoad/maxLoad: " + startLoad + "/" + maxLoad
                    + " (expected: whole numbers for integer levels)");
        }
        if (!(resolution >= 0 && resolution < 1)) {
            throw new IllegalArgumentException("resolution: " + resolution + " (expected: 0 <= x < 1)");
        }
    }

    /** A concurrency sweep: whole-number levels, bisection down to adjacent levels or 5%. */
    public static SweepPlanner concurrency(int start, int max) {
        return new SweepPlanner(start, max, true, 0.05);
    }

    /** A request-rate sweep: bisection down to 5% of the last good rate. */
    public static SweepPlanner rate(double startPerSec, double maxPerSec) {
        return new SweepPlanner(startPerSec, maxPerSec, false, 0.05);
    }

    /** The exponential levels: start, 2×start, … while below max, then max. */
    public List<Double> exponentialLevels() {
        List<Double> levels = new ArrayList<>();
        for (double l = startLoad; l < maxLoad; l *= 2) {
            levels.add(l);
        }
        levels.add(maxLoad);
        return levels;
    }

    /**
     * The next level to measure given those measured so far, or empty when the sweep is done: the breaking point
     * is bracketed within the resolution, it was the very first level, or the maximum was reached without one.
     */
    public OptionalDouble next(List<LevelSummary> measured, KneeFinder finder) {
        return next(measured, finder, exponentialLevels(), true);
    }

    /**
     * As {@link #next(List, KneeFinder)}, climbing {@code ladder} (ascending) instead of the exponential levels, and
     * without bisection when {@code refine} is false.
     */
    public OptionalDouble next(List<LevelSummary> measured, KneeFinder finder, List<Double> ladder, boolean refine) {
        Objects.requireNonNull(measured, "measured");
        Set<Double> done = new HashSet<>();
        for (LevelSummary s : measured) {
            done.add(s.load());
        }
        KneeResult knee = finder.find(measured);
        if (!knee.found()) {
            for (double level : ladder) {
                if (!done.contains(level)) {
                    return OptionalDouble.of(level);
                }
            }
            return OptionalDouble.empty();
        }
        if (!refine || knee.lastGood().isEmpty()) {
            return OptionalDouble.empty();
        }
        OptionalDouble mid = bisect(knee.lastGood().get().load(), knee.breaking().get().load());
        // A client-bound level may sit exactly at the midpoint: it cannot be improved on by re-running it.
        if (mid.isPresent() && done.contains(mid.getAsDouble())) {
            return OptionalDouble.empty();
        }
        return mid;
    }

    /**
     * The level halfway between the last good and the first bad level, or empty when they are within the
     * resolution (or adjacent whole numbers).
     */
    public OptionalDouble bisect(double lastGood, double firstBad) {
        if (!(lastGood > 0 && firstBad > lastGood)) {
            throw new IllegalArgumentException("lastGood/firstBad: " + lastGood + "/" + firstBad
                    + " (expected: 0 < lastGood < firstBad)");
        }
        double gap = firstBad - lastGood;
        if (gap <= resolution * lastGood) {
            return OptionalDouble.empty();
        }
        if (integerLevels) {
            if (gap < 2) {
                return OptionalDouble.empty();
            }
            return OptionalDouble.of(Math.floor(lastGood + gap / 2));
        }
        return OptionalDouble.of(lastGood + gap / 2);
    }
}
