package io.tokentap.loadgen.analysis;

import static io.tokentap.loadgen.analysis.SyntheticCurves.DOUBLINGS;
import static io.tokentap.loadgen.analysis.SyntheticCurves.healthy;
import static io.tokentap.loadgen.analysis.SyntheticCurves.levels;
import static io.tokentap.loadgen.analysis.SyntheticCurves.sCurve;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class KneeFinderTest {

    private final KneeFinder finder = new KneeFinder(KneeCriteria.defaults());

    @Test
    void sCurveBreaksAtTheFirstLevelPastItsCapacity() {
        List<LevelSummary> sweep = levels(l -> sCurve(l, 32), DOUBLINGS);
        Collections.shuffle(sweep, new java.util.Random(7)); // order of measurement must not matter

        KneeResult r = finder.find(sweep);

        assertThat(r.found()).isTrue();
        assertThat(r.breaking().orElseThrow().load()).isEqualTo(64);
        assertThat(r.lastGood().orElseThrow().load()).isEqualTo(32);
        assertThat(r.fired()).containsExactly(Criterion.THROUGHPUT_PLATEAU);
        assertThat(r.describe()).startsWith("breaking point at load 64: throughput plateau");
    }

    @Test
    void aNeverSaturatingCurveHasNoBreakingPoint() {
        KneeResult r = finder.find(levels(l -> healthy(l).build(), DOUBLINGS));

        assertThat(r.found()).isFalse();
        assertThat(r.criterion()).isEmpty();
        assertThat(r.lastGood().orElseThrow().load()).isEqualTo(256);
        assertThat(r.describe()).isEqualTo("no breaking point up to the max level (256)");
    }

    @Test
    void clientBoundLevelsNeverBreakNorServeAsTheThroughputBaseline() {
        List<LevelSummary> sweep = new ArrayList<>();
        sweep.add(healthy(1).build());
        sweep.add(healthy(2).build());
        // The client saturated: awful figures that are not the server's.
        sweep.add(healthy(4).clientBound(true).outputTokensPerSec(50).errorRate(0.5).ttft(3, 4, 60).build());
        sweep.add(healthy(8).build());
        sweep.add(healthy(16).clientBound(true).outputTokensPerSec(10).build());

        KneeResult r = finder.find(sweep);

        assertThat(r.found()).isFalse();
        assertThat(r.lastGood().orElseThrow().load()).isEqualTo(8);
        assertThat(r.describe()).isEqualTo("no breaking point up to 8, the highest level that was not client-bound"
                + " (above it, up to 16, the load generator, not the server, was the limit)");
    }

    @Test
    void aClientBoundLevelPastTheKneeIsSkippedAndTheNextCountedLevelBreaks() {
        List<LevelSummary> sweep = levels(l -> sCurve(l, 32), 8, 16, 32, 128);
        sweep.add(healthy(64).clientBound(true).build());

        KneeResult r = finder.find(sweep);

        assertThat(r.breaking().orElseThrow().load()).isEqualTo(128);
        assertThat(r.lastGood().orElseThrow().load()).isEqualTo(32);
        assertThat(r.fired()).containsExactly(Criterion.THROUGHPUT_PLATEAU);
    }

    @Test
    void errorRateFiresAlone() {
        assertFiresAloneAt8(healthy(8).errorRate(0.02).build(), Criterion.ERROR_RATE, "error rate 2.00% > 1.00%");
    }

    @Test
    void ttftSlaFiresAlone() {
        assertFiresAloneAt8(healthy(8).ttft(0.3, 0.8, 0.9).build(), Criterion.TTFT_SLA, "p95 TTFT 0.800 s > SLA");
    }

    @Test
    void tailRatioFiresAlone() {
        assertFiresAloneAt8(healthy(8).ttft(0.02, 0.1, 0.24).build(), Criterion.TAIL_RATIO, "p99/p50 TTFT 12.0");
    }

    @Test
    void tailRatioNeedsEnoughRequestsForAP99() {
        // 40 requests: the "p99" is the slowest one, e.g. a JIT-cold first request. Not judged.
        List<LevelSummary> sweep = List.of(healthy(1).ttft(0.008, 0.04, 0.6).requests(40).build(),
                healthy(2).ttft(0.008, 0.04, 0.6).requests(100).build());
        KneeResult r = finder.find(sweep);
        assertThat(r.breaking().orElseThrow().load()).isEqualTo(2);
        assertThat(r.fired()).containsExactly(Criterion.TAIL_RATIO);
    }

    @Test
    void kvSaturationWithAGrowingQueueFiresAlone() {
        assertFiresAloneAt8(healthy(8).kvCacheUsage(0.97).queueDepth(3).build(), Criterion.KV_CACHE_SATURATED,
                "KV-cache usage 97.0%");
    }

    @Test
    void throughputPlateauFiresAlone() {
        assertFiresAloneAt8(healthy(8).outputTokensPerSec(420).build(), Criterion.THROUGHPUT_PLATEAU,
                "output tokens/s +5.0% from load 4 to 8");
    }

    @Test
    void fullKvCacheWithoutAGrowingQueueIsNotSaturation() {
        List<LevelSummary> sweep = List.of(
                healthy(4).kvCacheUsage(0.96).queueDepth(2).build(),
                healthy(8).kvCacheUsage(0.99).queueDepth(2).build());
        KneeResult r = new KneeFinder(KneeCriteria.defaults().only(Criterion.KV_CACHE_SATURATED)).find(sweep);
        // The first level had a queue while full: that counts; so drop it to see the second alone.
        assertThat(r.breaking().orElseThrow().load()).isEqualTo(4);
        KneeResult second = new KneeFinder(KneeCriteria.defaults().only(Criterion.KV_CACHE_SATURATED))
                .find(List.of(healthy(4).kvCacheUsage(0.96).queueDepth(0).build(), sweep.get(1)));
        assertThat(second.breaking().orElseThrow().load()).isEqualTo(8);
        KneeResult flat = new KneeFinder(KneeCriteria.defaults().only(Criterion.KV_CACHE_SATURATED))
                .find(List.of(healthy(4).kvCacheUsage(0.50).queueDepth(2).build(), sweep.get(1)));
        assertThat(flat.found()).isFalse();
        KneeResult unknown = finder.find(List.of(healthy(4).kvCacheUsage(Double.NaN).queueDepth(Double.NaN).build()));
        assertThat(unknown.found()).isFalse();
    }

    @Test
    void throughputRequirementScalesWithTheStepSize() {
        // 10 -> 15 is log2(1.5) = 0.585 doublings: 1.1^0.585 = +5.7% is required.
        KneeFinder plateauOnly = new KneeFinder(KneeCriteria.defaults().only(Criterion.THROUGHPUT_PLATEAU));
        LevelSummary base = healthy(10).outputTokensPerSec(1000).build();
        assertThat(plateauOnly.find(List.of(base, healthy(15).outputTokensPerSec(1060).build())).found()).isFalse();
        assertThat(plateauOnly.find(List.of(base, healthy(15).outputTokensPerSec(1050).build())).found()).isTrue();
        // A quadrupling needs +21%.
        assertThat(plateauOnly.find(List.of(base, healthy(40).outputTokensPerSec(1220).build())).found()).isFalse();
        assertThat(plateauOnly.find(List.of(base, healthy(40).outputTokensPerSec(1200).build())).found()).isTrue();
    }

    @Test
    void disabledCriteriaDoNotFireAndAllFiredCriteriaAreNamed() {
        LevelSummary bad = healthy(8).errorRate(0.05).ttft(0.6, 0.9, 1.0).build();
        List<LevelSummary> sweep = List.of(healthy(4).build(), bad);

        assertThat(finder.find(sweep).fired()).containsExactly(Criterion.ERROR_RATE, Criterion.TTFT_SLA);
        assertThat(new KneeFinder(KneeCriteria.defaults().only(Criterion.TAIL_RATIO)).find(sweep).found()).isFalse();
        assertThat(finder.find(List.of()).describe()).isEqualTo("no levels measured");
    }

    private void assertFiresAloneAt8(LevelSummary at8, Criterion expected, String reasonFragment) {
        List<LevelSummary> sweep = List.of(healthy(2).build(), healthy(4).build(), at8, healthy(16).build());

        KneeResult r = finder.find(sweep);

        assertThat(r.breaking().orElseThrow().load()).isEqualTo(8);
        assertThat(r.lastGood().orElseThrow().load()).isEqualTo(4);
        assertThat(r.fired()).containsExactly(expected);
        assertThat(r.reasons()).singleElement().asString().contains(reasonFragment);
        assertThat(r.describe()).contains(expected.label());
        // The same level with the criterion switched off passes.
        java.util.Set<Criterion> others = java.util.EnumSet.allOf(Criterion.class);
        others.remove(expected);
        assertThat(new KneeFinder(KneeCriteria.defaults().withEnabled(others)).find(sweep).found()).isFalse();
    }

    @Test
    void closeBisectionLevelsAreJudgedAgainstHalfTheirLoad() {
        // 64 -> 70 loses 0.7%: noise between close levels, not a plateau; against 32 (a doubling away) it gained 49%.
        List<LevelSummary> sweep = List.of(healthy(32).outputTokensPerSec(1000).build(),
                healthy(64).outputTokensPerSec(1500).build(), healthy(70).outputTokensPerSec(1490).build());
        assertThat(finder.find(sweep).found()).isFalse();
        // A real plateau: +5% for a doubling.
        KneeResult r = finder.find(List.of(healthy(32).outputTokensPerSec(1000).build(),
                healthy(64).outputTokensPerSec(1050).build()));
        assertThat(r.breaking().orElseThrow().load()).isEqualTo(64);
        assertThat(r.criterion()).contains(Criterion.THROUGHPUT_PLATEAU);
    }
}
