package io.tokentap.loadgen.plan;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A load plan: stages run one after the other, each with results of its own, within a hard limit on the run's
 * duration and request count so every run stops by itself. Read from YAML by {@link PlanParser}.
 *
 * @param workload the workload file, or {@code null} for the built-in synthetic chat mix
 * @param model    the model name sent in requests, or {@code null} for the workload's own
 */
public record Plan(String name, List<StageSpec> stages, Duration maxDuration, long maxRequests, long seed, Slo slo,
                   ClientSpec client, Path workload, String model) {

    public Plan {
        Objects.requireNonNull(name, "name");
        stages = List.copyOf(stages);
        if (stages.isEmpty()) {
            throw new IllegalArgumentException("stages: empty (expected: at least one stage)");
        }
        if (maxDuration == null || maxDuration.isNegative() || maxDuration.isZero()) {
            throw new IllegalArgumentException("max_duration: " + maxDuration + " (expected: > 0)");
        }
        if (maxRequests < 1) {
            throw new IllegalArgumentException("max_requests: " + maxRequests + " (expected: > 0)");
        }
        Objects.requireNonNull(slo, "slo");
        Objects.requireNonNull(client, "client");
    }

    /** The sum of the stages' lengths. */
    public Duration plannedDuration() {
        return stages.stream().map(StageSpec::duration).reduce(Duration.ZERO, Duration::plus);
    }

    public Plan with(Duration maxDuration, long maxRequests, Path workload, String model, ClientSpec client, Slo slo) {
        return new Plan(name, stages, maxDuration, maxRequests, seed, slo, client, workload, model);
    }
}
