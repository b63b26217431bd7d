package io.tokentap.loadgen.compare;

import io.tokentap.loadgen.analysis.results.LatencySamples;
import io.tokentap.loadgen.analysis.results.ResultFormatException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.commons.math3.stat.descriptive.moment.Mean;
import org.apache.commons.math3.stat.descriptive.moment.Variance;
import org.apache.commons.math3.stat.inference.MannWhitneyUTest;
import org.apache.commons.math3.stat.inference.TTest;

/**
 * The statistical regression gate: is the candidate slower than the baseline, significantly and by more than a
 * threshold? Latency is compared on a log scale (Welch's t-test, Cohen's d), since latencies are right-skewed and
 * their changes multiplicative, and by ranks (Mann-Whitney U), which needs no distributional assumption. The
 * verdict is REGRESSION when both tests give p &lt; alpha and the gated percentile grew by more than the
 * threshold: a significant but tiny change, or a large but noisy one, passes.
 *
 * <pre>{@code
 * Comparison c = new RegressionGate(GateMetric.TTFT_P95, 15, 0.05).compare(baseline, candidate);
 * if (c.verdict() == Comparison.Verdict.REGRESSION) { ... }
 * }</pre>
 */
public final class RegressionGate {

    /** Above this many values per side the tests use evenly spaced quantiles of the distribution. */
    public static final int DEFAULT_MAX_VALUES = 100_000;

    /** Latencies below this (seconds) are clamped before taking logs; a zero TTFT is a measurement floor. */
    private static final double LOG_FLOOR_SECONDS = 1e-6;

    private final GateMetric metric;
    private final double thresholdPercent;
    private final double alpha;
    private final int maxValues;

    public RegressionGate(GateMetric metric, double thresholdPercent, double alpha) {
        this(metric, thresholdPercent, alpha, DEFAULT_MAX_VALUES);
    }

    public RegressionGate(GateMetric metric, double thresholdPercent, double alpha, int maxValues) {
        this.metric = java.util.Objects.requireNonNull(metric, "metric");
        if (!(thresholdPercent >= 0)) {
            throw new IllegalArgumentException("thresholdPercent: " + thresholdPercent + " (expected: >= 0)");
        }
        if (!(alpha > 0 && alpha < 1)) {
            throw new IllegalArgumentException("alpha: " + alpha + " (expected: 0 < alpha < 1)");
        }
        if (maxValues < 2) {
            throw new IllegalArgumentException("maxValues: " + maxValues + " (expected: >= 2)");
        }
        this.thresholdPercent = thresholdPercent;
        this.alpha = alpha;
        this.maxValues = maxValues;
    }

    /** Compares two runs; fails with a message when they cannot be compared (too few values, no ITL). */
    public Comparison compare(RunFigures baseline, RunFigures candidate) throws ResultFormatException {
        LatencySamples base = pick(baseline, "baseline");
        LatencySamples cand = pick(candidate, "candidate");
        double[] a = logValues(base, "baseline");
        double[] b = logValues(cand, "candidate");

        double welchP = welchP(a, b);
        double mannWhitneyP = new MannWhitneyUTest().mannWhitneyUTest(a, b);
        double d = cohensD(a, b);

        List<Change> changes = new ArrayList<>();
        addPercentiles(changes, "ttft", baseline.ttft(), candidate.ttft());
        if (baseline.itl().isPresent() && candidate.itl().isPresent()) {
            addPercentiles(changes, "itl", baseline.itl().get(), candidate.itl().get());
        }
        changes.add(new Change("output_tokens_per_sec", "tokens/s", baseline.outputTokensPerSec(),
                candidate.outputTokensPerSec(), false));
        Change gated = changes.stream().filter(c -> c.name().equals(metric.id())).findFirst().orElseThrow();
        String stages = baseline.stages().equals(candidate.stages())
                ? baseline.stages() : baseline.stages() + " vs " + candidate.stages();
        return new Comparison(metric, thresholdPercent, alpha, a.length, b.length, welchP, mannWhitneyP, d, gated,
                changes, stages);
    }

    private LatencySamples pick(RunFigures figures, String side) throws ResultFormatException {
        Optional<LatencySamples> s = metric.family() == GateMetric.Family.TTFT
                ? Optional.of(figures.ttft()) : figures.itl();
        if (s.isEmpty()) {
            throw new ResultFormatException(side + ": no ITL recorded, cannot gate on " + metric.id());
        }
        return s.get();
    }

    private double[] logValues(LatencySamples s, String side) throws ResultFormatException {
        if (s.count() < 2) {
            throw new ResultFormatException(side + ": " + s.count() + " " + metric.family().name()
                    + " value(s) (expected: at least 2 to compare)");
        }
        double[] v = s.values(maxValues);
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.log(Math.max(v[i], LOG_FLOOR_SECONDS));
        }
        return v;
    }

    private static void addPercentiles(List<Change> out, String family, LatencySamples base, LatencySamples cand) {
        for (int p : new int[] {50, 95, 99}) {
            out.add(new Change(family + "_p" + p, "s", base.percentile(p), cand.percentile(p), true));
        }
    }

    /**
     * Welch's two-sided p-value. Two constant samples (a coarse histogram can hold a single bucket) have no
     * variance to test against: equal means give 1, different means 0, where the t statistic would be undefined.
     */
    static double welchP(double[] a, double[] b) {
        double va = new Variance().evaluate(a);
        double vb = new Variance().evaluate(b);
        if (va == 0 && vb == 0) {
            return new Mean().evaluate(a) == new Mean().evaluate(b) ? 1 : 0;
        }
        return new TTest().tTest(a, b);
    }

    /** Cohen's d with the pooled standard deviation; 0 when both samples are constant and equal. */
    static double cohensD(double[] a, double[] b) {
        double ma = new Mean().evaluate(a);
        double mb = new Mean().evaluate(b);
        double va = new Variance().evaluate(a);
        double vb = new Variance().evaluate(b);
        double pooled = Math.sqrt(((a.length - 1) * va + (b.length - 1) * vb) / (a.length + b.length - 2));
        if (pooled == 0) {
            return mb == ma ? 0 : Math.copySign(Double.POSITIVE_INFINITY, mb - ma);
        }
        return (mb - ma) / pooled;
    }
}
