package io.tokentap.loadgen.compare;

import java.util.List;
import java.util.Objects;

/**
 * The regression gate's finding for one baseline/candidate pair.
 *
 * @param metric the gated figure
 * @param thresholdPercent the change, in percent, that counts as a regression when significant
 * @param alpha the significance level
 * @param baselineCount values in the baseline sample the tests used
 * @param candidateCount values in the candidate sample the tests used
 * @param welchP two-sided p-value of Welch's t-test on log latency
 * @param mannWhitneyP two-sided p-value of the Mann-Whitney U test (normal approximation)
 * @param cohensD Cohen's d on log latency (positive: the candidate is slower)
 * @param gated the gated figure's change
 * @param changes every figure compared (TTFT and ITL percentiles, throughput)
 * @param stages which stages the samples came from
 */
public record Comparison(
        GateMetric metric,
        double thresholdPercent,
        double alpha,
        long baselineCount,
        long candidateCount,
        double welchP,
        double mannWhitneyP,
        double cohensD,
        Change gated,
        List<Change> changes,
        String stages) {

    /** What the gate decided. */
    public enum Verdict {
        REGRESSION,
        PASS
    }

    public Comparison {
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(gated, "gated");
        changes = List.copyOf(changes);
        Objects.requireNonNull(stages, "stages");
    }

    /** The p-value the verdict uses: the larger of the two tests', so both must agree the runs differ. */
    public double p() {
        return Math.max(welchP, mannWhitneyP);
    }

    public boolean significant() {
        return p() < alpha;
    }

    /** REGRESSION when the difference is significant and the gated figure got worse by more than the threshold. */
    public Verdict verdict() {
        return significant() && gated.worsePercent() > thresholdPercent ? Verdict.REGRESSION : Verdict.PASS;
    }
}
