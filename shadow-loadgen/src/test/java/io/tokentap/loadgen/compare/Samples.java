package io.tokentap.loadgen.compare;

import io.tokentap.loadgen.analysis.results.ArrayLatencySamples;
import io.tokentap.loadgen.analysis.results.HistogramLatencySamples;
import io.tokentap.loadgen.analysis.results.LatencySamples;
import java.util.Optional;
import java.util.Random;
import org.HdrHistogram.Histogram;

/** Synthetic latency samples of known distribution, for the gate's tests. */
final class Samples {

    private Samples() {}

    /** n log-normal latencies with the given median (seconds) and log-sd, scaled by {@code factor}. */
    static double[] logNormal(long seed, int n, double medianSeconds, double sigma, double factor) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = factor * medianSeconds * Math.exp(sigma * r.nextGaussian());
        }
        return v;
    }

    /** The same values recorded in a microsecond HdrHistogram. */
    static HistogramLatencySamples histogram(double[] seconds) {
        Histogram h = new Histogram(3);
        for (double s : seconds) {
            h.recordValue(Math.round(s * 1e6));
        }
        return new HistogramLatencySamples(h, 1e-6);
    }

    static RunFigures figures(LatencySamples ttft, LatencySamples itl, double tokensPerSec) {
        return new RunFigures(ttft, Optional.ofNullable(itl), tokensPerSec, "steady");
    }

    static RunFigures figures(double[] ttft, double[] itl, double tokensPerSec) {
        return figures(new ArrayLatencySamples(ttft), itl == null ? null : new ArrayLatencySamples(itl), tokensPerSec);
    }
}
