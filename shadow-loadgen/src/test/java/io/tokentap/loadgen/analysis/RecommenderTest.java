package io.tokentap.loadgen.analysis;

import static io.tokentap.loadgen.analysis.SyntheticCurves.DOUBLINGS;
import static io.tokentap.loadgen.analysis.SyntheticCurves.healthy;
import static io.tokentap.loadgen.analysis.SyntheticCurves.levels;
import static io.tokentap.loadgen.analysis.SyntheticCurves.sCurve;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class RecommenderTest {

    @Test
    void slaTiersFollowTheWorseOfLatencyAndErrors() {
        SlaPolicy sla = SlaPolicy.defaults();
        assertThat(sla.classify(healthy(1).ttft(0.1, 0.499, 0.6).errorRate(0.0009).build())).isEqualTo(SlaTier.NORMAL);
        assertThat(sla.classify(healthy(1).ttft(0.1, 0.5, 0.6).build())).isEqualTo(SlaTier.DEGRADED);
        assertThat(sla.classify(healthy(1).errorRate(0.005).build())).isEqualTo(SlaTier.DEGRADED);
        assertThat(sla.classify(healthy(1).ttft(0.1, 1.999, 2.5).errorRate(0.009).build()))
                .isEqualTo(SlaTier.DEGRADED);
        assertThat(sla.classify(healthy(1).ttft(0.1, 2.0, 2.5).build())).isEqualTo(SlaTier.BREACH);
        assertThat(sla.classify(healthy(1).errorRate(0.01).build())).isEqualTo(SlaTier.BREACH);
    }

    @Test
    void recommendationsFromAnSCurve() {
        List<LevelSummary> sweep = levels(l -> sCurve(l, 32), DOUBLINGS);

        SweepAnalysis a = Recommender.defaults().analyze(sweep, LoadMode.CONCURRENCY, OptionalDouble.of(100));

        assertThat(a.knee().breaking().orElseThrow().load()).isEqualTo(64);
        // 70-80% of the breaking concurrency 64.
        assertThat(a.operatingLow()).isEqualTo(44);
        assertThat(a.operatingHigh()).isEqualTo(51);
        assertThat(a.operatingIsLowerBound()).isFalse();
        assertThat(a.saturationRequestsPerSec()).isEqualTo(32);
        assertThat(a.saturationOutputTokensPerSec()).isEqualTo(3200);

        RateLimits limits = a.rateLimits().orElseThrow();
        assertThat(limits.requestsPerMinute()).isEqualTo(Math.round(0.65 * 32 * 60));
        assertThat(limits.tokensPerMinute()).isEqualTo(Math.round(0.65 * 3200 * 60));
        assertThat(limits.maxStreamsInFlight()).isEqualTo(51);
        assertThat(limits.tokensIncludePrompt()).isFalse();
        assertThat(limits.toYaml()).contains("limits:\n  perTenant: true\n  requestsPerMinute: 1248\n",
                "  tokensPerMinute: 124800  # completion tokens only", "  maxStreamsInFlight: 51\n");

        AlertThresholds alerts = a.alerts().orElseThrow();
        assertThat(alerts.fromLoad()).isEqualTo(32);
        assertThat(alerts.ttftP95Seconds()).isCloseTo(0.15, within(1e-9)); // p99 at the level below the knee
        assertThat(alerts.itlP95Seconds()).isCloseTo(0.030, within(1e-9));

        // Little's law: 100 req/s × 1.0 s mean latency = 100 streams; 51 per instance -> 2 instances.
        Capacity cap = a.capacity().orElseThrow();
        assertThat(cap.requiredConcurrency()).isCloseTo(100, within(1e-9));
        assertThat(cap.instances()).isEqualTo(2);
        assertThat(a.tiers()).hasSize(sweep.size()).startsWith(SlaTier.NORMAL);
    }

    @Test
    void tokenLimitsCountPromptAndCompletionTokensLikeTheProxy() {
        List<LevelSummary> sweep = List.of(
                healthy(1).inputTokensPerSec(400).build(),
                healthy(2).inputTokensPerSec(800).build(),
                healthy(4).inputTokensPerSec(1000).outputTokensPerSec(210).build());

        RateLimits limits = Recommender.defaults().analyze(sweep, LoadMode.CONCURRENCY, OptionalDouble.empty())
                .rateLimits().orElseThrow();

        // Saturation: 1000 prompt + 210 completion tokens/s at level 4; 65% of it per minute.
        assertThat(limits.tokensIncludePrompt()).isTrue();
        assertThat(limits.tokensPerMinute()).isEqualTo(Math.round(0.65 * 1210 * 60));
        assertThat(limits.toYaml()).contains("# prompt + completion tokens");
    }

    @Test
    void withoutABreakingPointTheOperatingPointIsALowerBound() {
        SweepAnalysis a = Recommender.defaults()
                .analyze(levels(l -> healthy(l).build(), 1, 2, 4, 8), LoadMode.CONCURRENCY, OptionalDouble.empty());
        assertThat(a.knee().found()).isFalse();
        assertThat(a.operatingIsLowerBound()).isTrue();
        assertThat(a.operatingLow()).isEqualTo(5);
        assertThat(a.operatingHigh()).isEqualTo(6);
        assertThat(a.capacity()).isEmpty();
    }

    @Test
    void rateSweepDerivesTheConcurrencyCapByLittlesLaw() {
        List<LevelSummary> sweep = List.of(
                healthy(10).requestsPerSec(10).e2eMean(2.0).build(),
                healthy(20).requestsPerSec(20).e2eMean(2.2).build(),
                healthy(40).requestsPerSec(21).outputTokensPerSec(2100).e2eMean(9).build());

        SweepAnalysis a = Recommender.defaults().analyze(sweep, LoadMode.RATE, OptionalDouble.empty());

        assertThat(a.knee().breaking().orElseThrow().load()).isEqualTo(40);
        assertThat(a.operatingLow()).isCloseTo(28, within(1e-9));
        assertThat(a.operatingHigh()).isCloseTo(32, within(1e-9));
        // 32 req/s × 2.2 s = 70.4 -> 71 streams.
        assertThat(a.rateLimits().orElseThrow().maxStreamsInFlight()).isEqualTo(71);
    }

    @Test
    void allClientBoundGivesNoRecommendation() {
        SweepAnalysis a = Recommender.defaults().analyze(
                List.of(healthy(1).clientBound(true).build()), LoadMode.CONCURRENCY, OptionalDouble.of(5));
        assertThat(a.rateLimits()).isEmpty();
        assertThat(a.alerts()).isEmpty();
        assertThat(a.knee().describe()).isEqualTo("no breaking point found: every level up to 1 was client-bound"
                + " (the load generator, not the server, was the limit)");
    }
}
