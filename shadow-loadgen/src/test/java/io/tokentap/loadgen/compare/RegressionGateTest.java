package io.tokentap.loadgen.compare;

import static io.tokentap.loadgen.compare.Samples.figures;
import static io.tokentap.loadgen.compare.Samples.histogram;
import static io.tokentap.loadgen.compare.Samples.logNormal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.tokentap.loadgen.analysis.results.ResultFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class RegressionGateTest {

    private static final double MEDIAN = 0.300;
    private static final double SIGMA = 0.4;

    private final RegressionGate gate = new RegressionGate(GateMetric.TTFT_P95, 15, 0.05);

    @Test
    void aTwentyPercentShiftAtTwoHundredIsARegression() throws Exception {
        Comparison c = gate.compare(
                figures(logNormal(1, 200, MEDIAN, SIGMA, 1.0), logNormal(2, 200, 0.02, 0.3, 1.0), 1000),
                figures(logNormal(3, 200, MEDIAN, SIGMA, 1.2), logNormal(4, 200, 0.02, 0.3, 1.0), 950));

        assertThat(c.verdict()).isEqualTo(Comparison.Verdict.REGRESSION);
        assertThat(c.welchP()).isLessThan(0.05);
        assertThat(c.mannWhitneyP()).isLessThan(0.05);
        assertThat(c.gated().name()).isEqualTo("ttft_p95");
        assertThat(c.gated().percent()).isGreaterThan(15);
        // d on log scale: ln(1.2) / 0.4 = 0.46, give or take sampling noise.
        assertThat(c.cohensD()).isBetween(0.2, 0.8);
        assertThat(c.changes()).extracting(Change::name).containsExactly("ttft_p50", "ttft_p95", "ttft_p99",
                "itl_p50", "itl_p95", "itl_p99", "output_tokens_per_sec");
        assertThat(c.changes().get(6).percent()).isCloseTo(-5, within(1e-9));
    }

    @Test
    void aTwentyPercentShiftIsDetectedAcrossSeeds() throws Exception {
        int detected = 0;
        int runs = 100;
        for (int seed = 0; seed < runs; seed++) {
            Comparison c = gate.compare(
                    figures(logNormal(2L * seed, 200, MEDIAN, SIGMA, 1.0), null, 1000),
                    figures(logNormal(2L * seed + 1, 200, MEDIAN, SIGMA, 1.2), null, 1000));
            detected += c.significant() ? 1 : 0;
        }
        // Power of the test at d = 0.46, n = 200 per side is about 0.98.
        assertThat(detected).isGreaterThanOrEqualTo(90);
    }

    @Test
    void sameDistributionIsFlaggedAtMostAboutAlphaOfTheTime() throws Exception {
        int significant = 0;
        int regressions = 0;
        int runs = 200;
        RegressionGate noThreshold = new RegressionGate(GateMetric.TTFT_P95, 0, 0.05);
        for (int seed = 0; seed < runs; seed++) {
            Comparison c = noThreshold.compare(
                    figures(logNormal(1000L + 2 * seed, 200, MEDIAN, SIGMA, 1.0), null, 1000),
                    figures(logNormal(1001L + 2 * seed, 200, MEDIAN, SIGMA, 1.0), null, 1000));
            significant += c.significant() ? 1 : 0;
            regressions += c.verdict() == Comparison.Verdict.REGRESSION ? 1 : 0;
        }
        assertThat((double) significant / runs).isLessThanOrEqualTo(0.1);
        assertThat(regressions).isLessThanOrEqualTo(significant);
    }

    @Test
    void aSmallSignificantChangeBelowTheThresholdPasses() throws Exception {
        // 5% slower with 20,000 values: significant, but under the 15% threshold.
        Comparison c = gate.compare(
                figures(logNormal(5, 20_000, MEDIAN, SIGMA, 1.0), null, 1000),
                figures(logNormal(6, 20_000, MEDIAN, SIGMA, 1.05), null, 1000));
        assertThat(c.significant()).isTrue();
        assertThat(c.verdict()).isEqualTo(Comparison.Verdict.PASS);
    }

    @Test
    void aFasterCandidateIsNotARegression() throws Exception {
        Comparison c = gate.compare(
                figures(logNormal(7, 500, MEDIAN, SIGMA, 1.0), null, 1000),
                figures(logNormal(8, 500, MEDIAN, SIGMA, 0.6), null, 1000));
        assertThat(c.significant()).isTrue();
        assertThat(c.gated().percent()).isLessThan(-15);
        assertThat(c.verdict()).isEqualTo(Comparison.Verdict.PASS);
    }

    @Test
    void histogramSamplesGiveTheSameVerdictAsRawSamples() throws Exception {
        double[] base = logNormal(11, 400, MEDIAN, SIGMA, 1.0);
        double[] cand = logNormal(12, 400, MEDIAN, SIGMA, 1.3);
        Comparison raw = gate.compare(figures(base, null, 1), figures(cand, null, 1));
        Comparison hdr = gate.compare(figures(histogram(base), null, 1), figures(histogram(cand), null, 1));

        assertThat(hdr.verdict()).isEqualTo(raw.verdict()).isEqualTo(Comparison.Verdict.REGRESSION);
        assertThat(hdr.baselineCount()).isEqualTo(400);
        // HdrHistogram keeps 3 significant digits: percentiles agree to 0.1%.
        assertThat(hdr.gated().candidate()).isCloseTo(raw.gated().candidate(), within(raw.gated().candidate() * 2e-3));
        assertThat(hdr.cohensD()).isCloseTo(raw.cohensD(), within(0.01));
    }

    @Test
    void gatingOnItlUsesTheItlDistribution() throws Exception {
        RegressionGate itlGate = new RegressionGate(GateMetric.ITL_P95, 15, 0.05);
        double[] ttft = logNormal(21, 300, MEDIAN, SIGMA, 1.0);
        Comparison c = itlGate.compare(
                figures(ttft, logNormal(22, 3000, 0.02, 0.3, 1.0), 1000),
                figures(ttft, logNormal(23, 3000, 0.02, 0.3, 1.5), 1000));
        assertThat(c.verdict()).isEqualTo(Comparison.Verdict.REGRESSION);
        assertThat(c.baselineCount()).isEqualTo(3000);

        assertThatThrownBy(() -> itlGate.compare(figures(ttft, null, 1), figures(ttft, null, 1)))
                .isInstanceOf(ResultFormatException.class)
                .hasMessage("baseline: no ITL recorded, cannot gate on itl_p95");
    }

    @Test
    void tooFewValuesCannotBeCompared() {
        assertThatThrownBy(() -> gate.compare(figures(new double[] {0.1}, null, 1),
                figures(logNormal(1, 10, MEDIAN, SIGMA, 1), null, 1)))
                .isInstanceOf(ResultFormatException.class)
                .hasMessageContaining("baseline: 1 TTFT value(s) (expected: at least 2");
    }

    @Test
    void constantSamplesStillGiveAVerdict() throws Exception {
        double[] fast = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
        double[] slow = {0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2};
        Comparison c = gate.compare(figures(fast, null, 1), figures(slow, null, 1));
        assertThat(c.welchP()).isZero();
        assertThat(c.mannWhitneyP()).isLessThan(0.05);
        assertThat(c.verdict()).isEqualTo(Comparison.Verdict.REGRESSION);
        Comparison same = gate.compare(figures(fast, null, 1), figures(fast, null, 1));
        assertThat(same.welchP()).isEqualTo(1);
        assertThat(same.verdict()).isEqualTo(Comparison.Verdict.PASS);
    }

    @Test
    void cohensDOfKnownSamples() {
        assertThat(RegressionGate.cohensD(new double[] {1, 2, 3}, new double[] {2, 3, 4})).isCloseTo(1.0, within(1e-12));
        assertThat(RegressionGate.cohensD(new double[] {1, 1}, new double[] {1, 1})).isZero();
    }
}
