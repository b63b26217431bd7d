package io.tokentap.loadgen.sweep;

import io.tokentap.loadgen.analysis.KneeFinder;
import io.tokentap.loadgen.analysis.LevelSummary;
import io.tokentap.loadgen.analysis.SweepPlanner;
import io.tokentap.loadgen.analysis.results.ResultFile;
import io.tokentap.loadgen.analysis.results.ResultFormatException;
import io.tokentap.loadgen.plan.StageSpec;
import io.tokentap.loadgen.result.LoadMetric;
import io.tokentap.loadgen.result.RunResult;
import io.tokentap.loadgen.result.StageStats;
import io.tokentap.loadgen.schedule.ArrivalProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.function.Consumer;

/**
 * The levels of a sweep, one at a time: the exponential levels (or the user's list) until the {@link KneeFinder}
 * sees a breaking point, then bisection between the last good and the first bad level (see {@link SweepPlanner}).
 * Each level is a closed stage of N streams or an open stage of R requests per second, held for {@code hold}.
 *
 * <pre>{@code
 * SweepLevels levels = new SweepLevels(false, 1, 256, null, true, 0.05, Duration.ofSeconds(30),
 *         ArrivalProcess.POISSON, new KneeFinder(KneeCriteria.defaults()));
 * loadRun.warmup(min, max).run(target, done -> levels.next(done, System.err::println), 0, "sweep");
 * }</pre>
 */
public final class SweepLevels {

    private final boolean rate;
    private final SweepPlanner planner;
    private final List<Double> explicit;
    private final boolean refine;
    private final Duration hold;
    private final ArrivalProcess arrival;
    private final KneeFinder finder;

    /**
     * @param rate     levels are requests per second (open model), else concurrent streams (closed model)
     * @param explicit the levels to try in order instead of the exponential ones, or null
     * @param refine   bisect once a level breaks
     * @param resolution bisection stops when the gap is at most this share of the last good level (see
     *     {@link SweepPlanner})
     */
    public SweepLevels(boolean rate, double start, double max, List<Double> explicit, boolean refine,
                       double resolution, Duration hold, ArrivalProcess arrival, KneeFinder finder) {
        if (explicit != null && !explicit.isEmpty()) {
            List<Double> sorted = new ArrayList<>(explicit);
            sorted.sort(Double::compare);
            for (double l : sorted) {
                if (!(l > 0) || Double.isInfinite(l) || (!rate && l != Math.rint(l))) {
                    throw new IllegalArgumentException("--levels: " + fmt(l) + " (expected: "
                            + (rate ? "rates > 0" : "whole numbers of streams >= 1") + ")");
                }
            }
            start = sorted.get(0);
            max = sorted.get(sorted.size() - 1);
            this.explicit = List.copyOf(sorted);
        } else {
            this.explicit = null;
        }
        if (!rate && (start != Math.rint(start) || max != Math.rint(max))) {
            throw new IllegalArgumentException("--start/--max-level: " + fmt(start) + "/" + fmt(max)
                    + " (expected: whole numbers of streams)");
        }
        if (!(start > 0) || !(max >= start)) {
            throw new IllegalArgumentException("--start/--max-level: " + fmt(start) + "/" + fmt(max)
                    + " (expected: 0 < start <= max)");
        }
        if (hold.isZero() || hold.isNegative()) {
            throw new IllegalArgumentException("--hold: " + hold + " (expected: > 0)");
        }
        this.rate = rate;
        if (!(resolution >= 0 && resolution < 1)) {
            throw new IllegalArgumentException("--resolution: " + 100 * resolution + "% (expected: 0 <= x < 100)");
        }
        this.planner = new SweepPlanner(start, max, !rate, resolution);
        this.refine = refine;
        this.hold = hold;
        this.arrival = arrival;
        this.finder = finder;
    }

    /** The first level's stage. */
    public StageSpec first() {
        return stage(explicit != null ? explicit.get(0) : planner.startLoad());
    }

    /**
     * The next level's stage given the levels measured so far, or null when the sweep is done. Each finished level
     * is reported to {@code log} in one line.
     */
    public StageSpec next(List<StageStats> done, Consumer<String> log) {
        if (!done.isEmpty()) {
            StageStats last = done.get(done.size() - 1);
            log.accept(line(last));
            if (last.histogram(LoadMetric.TTFT).getTotalCount() == 0) {
                log.accept("level " + last.load() + ": no request produced a token (" + last.errors() + " of "
                        + last.requests() + " failed); the sweep stops here");
                return null;
            }
        }
        List<LevelSummary> levels;
        try {
            levels = summaries(done);
        } catch (ResultFormatException e) {
            log.accept("the sweep stops: " + e.getMessage());
            return null;
        }
        OptionalDouble next = nextLevel(levels);
        return next.isPresent() ? stage(next.getAsDouble()) : null;
    }

    OptionalDouble nextLevel(List<LevelSummary> levels) {
        return planner.next(levels, finder, explicit != null ? explicit : planner.exponentialLevels(), refine);
    }

    private static List<LevelSummary> summaries(List<StageStats> done) throws ResultFormatException {
        if (done.isEmpty()) {
            return List.of();
        }
        RunResult r = new RunResult();
        r.stages().addAll(done);
        return ResultFile.of(r).levels();
    }

    StageSpec stage(double level) {
        if (rate) {
            return StageSpec.open("r=" + fmt(level), level, arrival, hold);
        }
        return StageSpec.closed("c=" + fmt(level), (int) level, hold);
    }

    private static String line(StageStats s) {
        return String.format(Locale.ROOT,
                "level %s done: %.0f tok/s, %.2f req/s, TTFT p50 %.0f ms p95 %.0f ms, errors %.2f%%%s", s.load(),
                s.outputTokensPerSecond(), s.requestsPerSecond(), s.millis(LoadMetric.TTFT, 50),
                s.millis(LoadMetric.TTFT, 95), s.errorPercent(), s.clientBound() ? ", client-bound: "
                        + s.clientBoundReason() : "");
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.3g", v);
    }
}
