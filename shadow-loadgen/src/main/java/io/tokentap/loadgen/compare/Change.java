package io.tokentap.loadgen.compare;

/**
 * One figure in both runs.
 *
 * @param name e.g. {@code "ttft_p95"} or {@code "output_tokens_per_sec"}
 * @param unit {@code "s"} or {@code "tokens/s"}
 * @param baseline the baseline's value
 * @param candidate the candidate's value
 * @param higherIsWorse true for latencies, false for throughput
 */
public record Change(String name, String unit, double baseline, double candidate, boolean higherIsWorse) {

    /** The relative change in percent, candidate over baseline; {@code NaN} when the baseline is 0. */
    public double percent() {
        return baseline == 0 ? Double.NaN : 100 * (candidate - baseline) / baseline;
    }

    /** The change in the bad direction, in percent (positive = worse). */
    public double worsePercent() {
        return higherIsWorse ? percent() : -percent();
    }
}
