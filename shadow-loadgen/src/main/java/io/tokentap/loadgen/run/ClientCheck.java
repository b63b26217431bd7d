package io.tokentap.loadgen.run;

import io.tokentap.loadgen.result.LoadMetric;
import io.tokentap.loadgen.result.RequestOutcome;
import io.tokentap.loadgen.result.StageStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Decides whether a stage was client-bound: the load generator, not the server, set the pace. A stage is marked when
 * the dispatch lateness (schedule lag) or an event loop's probe lateness has a p99 above the limit, or when requests
 * were dropped because every connection was busy and the queue was full.
 */
public record ClientCheck(double maxLagP99Millis) {

    /** 5 ms: ten times the open-model lag target, well above timer jitter on a busy machine. */
    public static final ClientCheck DEFAULT = new ClientCheck(5.0);

    public void apply(StageStats s) {
        List<String> reasons = new ArrayList<>();
        double lag = s.millis(LoadMetric.SCHEDULE_LAG, 99);
        if (lag > maxLagP99Millis) {
            reasons.add(String.format(Locale.ROOT, "schedule lag p99 %.1f ms > %.1f ms", lag, maxLagP99Millis));
        }
        double loop = s.millis(LoadMetric.LOOP_LAG, 99);
        if (loop > maxLagP99Millis) {
            reasons.add(String.format(Locale.ROOT, "event-loop lag p99 %.1f ms > %.1f ms", loop, maxLagP99Millis));
        }
        long dropped = s.count(RequestOutcome.DROPPED);
        if (dropped > 0) {
            reasons.add(dropped + " requests dropped (all connections busy, queue full)");
        }
        s.clientBound(!reasons.isEmpty(), String.join("; ", reasons));
    }
}
