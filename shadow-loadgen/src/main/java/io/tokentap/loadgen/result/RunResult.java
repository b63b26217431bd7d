package io.tokentap.loadgen.result;

import io.tokentap.core.timeline.Slo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's results: its stages in order, and the run as a whole (all stages added). {@code partial} is set when the
 * run was stopped early (Ctrl-C, a limit).
 */
public final class RunResult {

    private final Map<String, String> info = new LinkedHashMap<>();
    private final List<StageStats> stages = new ArrayList<>();
    private final List<StageStats> warmups = new ArrayList<>();
    private Slo slo = Slo.NONE;
    private boolean partial;
    private String stopReason = "";
    private Pricing pricing = Pricing.NONE;

    /** Prices per million input and output tokens, for the cost per request; zero when not given. */
    public record Pricing(double inputPerMillion, double outputPerMillion) {
        public static final Pricing NONE = new Pricing(0, 0);

        public Pricing {
            if (inputPerMillion < 0 || outputPerMillion < 0) {
                throw new IllegalArgumentException("price: " + inputPerMillion + "/" + outputPerMillion + " (expected: >= 0)");
            }
        }

        public boolean isSet() {
            return inputPerMillion > 0 || outputPerMillion > 0;
        }

        /** The mean cost of a request of {@code s} (its token sums over its requests), or NaN without requests. */
        public double costPerRequest(StageStats s) {
            long n = s.requests();
            if (n == 0) {
                return Double.NaN;
            }
            return (s.inputTokens() * inputPerMillion + s.outputTokens() * outputPerMillion) / 1e6 / n;
        }
    }

    public Pricing pricing() {
        return pricing;
    }

    public void pricing(Pricing p) {
        this.pricing = p;
    }

    /** Free-form facts about the run: target, plan, workload, start time. */
    public Map<String, String> info() {
        return info;
    }

    public List<StageStats> stages() {
        return stages;
    }

    /**
     * The warm-ups of the stages that had one (a sweep's levels), kept out of the stages' figures; with the stages
     * they account for every request sent.
     */
    public List<StageStats> warmups() {
        return warmups;
    }

    /** Every request sent, warm-ups included: what a proxy in front of the target saw of this run. */
    public StageStats traffic() {
        StageStats t = total();
        for (StageStats w : warmups) {
            t.add(w, false);
        }
        return t;
    }

    public Slo slo() {
        return slo;
    }

    public void slo(Slo s) {
        this.slo = s;
    }

    public boolean partial() {
        return partial;
    }

    public String stopReason() {
        return stopReason;
    }

    public void stopped(boolean partial, String reason) {
        this.partial = partial;
        this.stopReason = reason == null ? "" : reason;
    }

    /** All stages added up, one after another. */
    public StageStats total() {
        StageStats t = new StageStats("total", "run", stages.size() == 1 ? stages.get(0).load() : "",
                stages.stream().mapToDouble(StageStats::level).max().orElse(0));
        for (StageStats s : stages) {
            t.add(s, false);
        }
        return t;
    }

    /**
     * Merges results of shards that ran side by side (a distributed run): stage {@code i} of every shard is added to
     * stage {@code i}. Histograms add exactly; throughput adds because durations overlap.
     */
    public static RunResult mergeShards(List<RunResult> shards) {
        if (shards.isEmpty()) {
            throw new IllegalArgumentException("no results to merge");
        }
        RunResult out = new RunResult();
        RunResult first = shards.get(0);
        out.info.putAll(first.info);
        out.info.put("shards", Integer.toString(shards.size()));
        out.slo = first.slo;
        out.pricing = first.pricing;
        for (int i = 0; i < first.stages.size(); i++) {
            StageStats f = first.stages.get(i);
            StageStats merged = new StageStats(f.name(), f.type(), f.load(), f.level());
            for (RunResult r : shards) {
                if (r.stages.size() != first.stages.size()) {
                    throw new IllegalArgumentException("shards ran different plans: " + r.stages.size() + " stages vs "
                            + first.stages.size());
                }
                StageStats other = r.stages.get(i);
                if (!other.name().equals(f.name()) || other.level() != f.level()) {
                    throw new IllegalArgumentException("shards ran different plans: stage " + (i + 1) + " is "
                            + other.name() + " in one and " + f.name() + " in another");
                }
                merged.add(other, true);
            }
            out.stages.add(merged);
        }
        out.partial = shards.stream().anyMatch(RunResult::partial);
        return out;
    }
}
