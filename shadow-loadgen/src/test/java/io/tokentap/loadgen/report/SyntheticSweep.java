package io.tokentap.loadgen.report;

import io.tokentap.loadgen.analysis.LoadMode;
import io.tokentap.loadgen.analysis.results.HistogramLatencySamples;
import io.tokentap.loadgen.analysis.results.ResultFile;
import io.tokentap.loadgen.analysis.results.StageResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.HdrHistogram.Histogram;

/**
 * A sweep result of a server that holds 32 concurrent streams: throughput flat beyond, TTFT queueing up, the KV
 * cache filling and the queue growing. Level 256 is client-bound.
 */
final class SyntheticSweep {

    private SyntheticSweep() {}

    static ResultFile result() {
        Random r = new Random(42);
        List<StageResult> stages = new ArrayList<>();
        for (int c : new int[] {1, 2, 4, 8, 16, 32, 48, 64, 128, 256}) {
            double served = Math.min(c, 32);
            double queue = Math.max(0, c - 32);
            double ttftMedian = 0.08 * (1 + queue / 8);
            Histogram ttft = new Histogram(3);
            Histogram itl = new Histogram(3);
            Histogram e2e = new Histogram(3);
            for (int i = 0; i < 500; i++) {
                ttft.recordValue(Math.round(1e6 * ttftMedian * Math.exp(0.3 * r.nextGaussian())));
                e2e.recordValue(Math.round(1e6 * (ttftMedian + 2.0) * Math.exp(0.1 * r.nextGaussian())));
            }
            for (int i = 0; i < 5000; i++) {
                itl.recordValue(Math.round(1e6 * 0.015 * (1 + served / 64) * Math.exp(0.2 * r.nextGaussian())));
            }
            stages.add(new StageResult("c=" + c, c, c == 256, 30, 500, c >= 128 ? 3 : 0, 60 * served, served / 2,
                    Math.min(0.99, served / 32.5), queue, new HistogramLatencySamples(ttft, 1e-6),
                    Optional.of(new HistogramLatencySamples(itl, 1e-6)),
                    Optional.of(new HistogramLatencySamples(e2e, 1e-6))));
        }
        return new ResultFile("sweep", LoadMode.CONCURRENCY, stages);
    }
}
