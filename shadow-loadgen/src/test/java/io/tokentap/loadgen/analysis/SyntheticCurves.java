package io.tokentap.loadgen.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleFunction;

/** Synthetic sweep curves with known shapes, for the analysis tests. */
final class SyntheticCurves {

    private SyntheticCurves() {}

    /** A healthy level: throughput proportional to load, flat low latency, no errors, no queue. */
    static LevelSummary.Builder healthy(double load) {
        return LevelSummary.builder(load)
                .outputTokensPerSec(100 * load)
                .requestsPerSec(load)
                .ttft(0.10, 0.15, 0.20)
                .itl(0.020, 0.025, 0.030)
                .e2eMean(1.0)
                .errorRate(0)
                .kvCacheUsage(Math.min(0.5, 0.01 * load))
                .queueDepth(0)
                .requests(1000);
    }

    /**
     * A server that holds {@code capacity} concurrent streams: throughput grows linearly up to it and is flat
     * beyond; TTFT grows with the queue beyond it (p95 stays under a 500 ms SLA until 4× capacity).
     */
    static LevelSummary sCurve(double load, double capacity) {
        double served = Math.min(load, capacity);
        double queueFactor = Math.max(1, load / capacity);
        return healthy(load)
                .outputTokensPerSec(100 * served)
                .requestsPerSec(served)
                .ttft(0.10 * queueFactor, 0.12 * queueFactor, 0.15 * queueFactor)
                .build();
    }

    static List<LevelSummary> levels(DoubleFunction<LevelSummary> curve, double... loads) {
        List<LevelSummary> out = new ArrayList<>();
        for (double l : loads) {
            out.add(curve.apply(l));
        }
        return out;
    }

    static final double[] DOUBLINGS = {1, 2, 4, 8, 16, 32, 64, 128, 256};
}
