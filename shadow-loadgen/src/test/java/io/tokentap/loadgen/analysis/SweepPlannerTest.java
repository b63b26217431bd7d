package io.tokentap.loadgen.analysis;

import static io.tokentap.loadgen.analysis.SyntheticCurves.healthy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.DoubleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class SweepPlannerTest {

    private final KneeFinder finder = new KneeFinder(KneeCriteria.defaults());

    @Test
    void exponentialLevelsEndAtTheMaximum() {
        assertThat(SweepPlanner.concurrency(1, 100).exponentialLevels())
                .containsExactly(1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 100.0);
        assertThat(SweepPlanner.concurrency(1, 64).exponentialLevels()).endsWith(32.0, 64.0);
        assertThat(SweepPlanner.rate(0.5, 3).exponentialLevels()).containsExactly(0.5, 1.0, 2.0, 3.0);
    }

    @Test
    void bisectionOnIntegersStopsAtAdjacentLevels() {
        SweepPlanner p = new SweepPlanner(1, 256, true, 0);
        assertThat(p.bisect(32, 64)).hasValue(48);
        assertThat(p.bisect(32, 35)).hasValue(33);
        assertThat(p.bisect(32, 34)).hasValue(33);
        assertThat(p.bisect(32, 33)).isEmpty();
        assertThatThrownBy(() -> p.bisect(8, 8)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void bisectionOnRatesStopsAtTheResolution() {
        SweepPlanner p = SweepPlanner.rate(1, 64);
        assertThat(p.bisect(10, 20)).hasValue(15);
        assertThat(p.bisect(10, 10.4)).isEmpty();
    }

    @Test
    void planBracketsAKneeAtFortyConcurrentStreamsToAdjacentLevels() {
        // p95 TTFT jumps over the SLA above 40 streams.
        DoubleFunction<LevelSummary> server = l -> l <= 40
                ? healthy(l).build()
                : healthy(l).ttft(0.4, 0.9, 1.2).build();
        List<Double> order = new ArrayList<>();
        List<LevelSummary> done = runPlan(new SweepPlanner(1, 256, true, 0), server, order);

        KneeResult r = finder.find(done);
        assertThat(r.breaking().orElseThrow().load()).isEqualTo(41);
        assertThat(r.lastGood().orElseThrow().load()).isEqualTo(40);
        // Exponential phase stops at the first bad level, then bisection: 48, 40, 44, 42, 41.
        assertThat(order).containsExactly(1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 48.0, 40.0, 44.0, 42.0, 41.0);
    }

    @Test
    void planRunsEveryExponentialLevelWhenNothingBreaks() {
        List<Double> order = new ArrayList<>();
        runPlan(SweepPlanner.concurrency(1, 100), l -> healthy(l).build(), order);
        assertThat(order).containsExactly(1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 100.0);
    }

    @Test
    void planStopsWhenTheFirstLevelAlreadyBreaks() {
        List<Double> order = new ArrayList<>();
        runPlan(SweepPlanner.concurrency(1, 100), l -> healthy(l).errorRate(0.5).build(), order);
        assertThat(order).containsExactly(1.0);
    }

    @Test
    void resolutionLimitsTheRefinementOfALargeSweep() {
        DoubleFunction<LevelSummary> server = l -> l <= 300 ? healthy(l).build() : healthy(l).errorRate(0.1).build();
        List<Double> order = new ArrayList<>();
        List<LevelSummary> done = runPlan(SweepPlanner.concurrency(1, 1024), server, order);
        KneeResult r = finder.find(done);
        double good = r.lastGood().orElseThrow().load();
        double bad = r.breaking().orElseThrow().load();
        assertThat(good).isLessThanOrEqualTo(300);
        assertThat(bad).isGreaterThan(300);
        assertThat(bad - good).isLessThanOrEqualTo(0.05 * good);
        assertThat(order).hasSizeLessThan(20);
    }

    @Test
    void invalidPlansAreRejectedWithWhatWasExpected() {
        assertThatThrownBy(() -> new SweepPlanner(0, 8, true, 0)).hasMessageContaining("startLoad: 0.0");
        assertThatThrownBy(() -> new SweepPlanner(8, 4, true, 0)).hasMessageContaining("maxLoad: 4.0");
        assertThatThrownBy(() -> new SweepPlanner(1.5, 4, true, 0)).hasMessageContaining("whole numbers");
    }

    private List<LevelSummary> runPlan(SweepPlanner planner, DoubleFunction<LevelSummary> server, List<Double> order) {
        List<LevelSummary> done = new ArrayList<>();
        for (OptionalDouble next = planner.next(done, finder); next.isPresent(); next = planner.next(done, finder)) {
            order.add(next.getAsDouble());
            done.add(server.apply(next.getAsDouble()));
            assertThat(order).hasSizeLessThan(50);
        }
        return done;
    }
}
