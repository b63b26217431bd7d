package io.tokentap.loadgen.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.random.Well19937c;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ScheduleTest {

    private static List<Long> drain(Schedule s) {
        List<Long> out = new ArrayList<>();
        for (long t = s.nextOffsetNanos(); t != Schedule.END; t = s.nextOffsetNanos()) {
            out.add(t);
        }
        return out;
    }

    private static double[] gapsSeconds(List<Long> times) {
        double[] g = new double[times.size() - 1];
        for (int i = 1; i < times.size(); i++) {
            g[i - 1] = (times.get(i) - times.get(i - 1)) / 1e9;
        }
        return g;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static double cv(double[] v) {
        double m = mean(v);
        double ss = 0;
        for (double x : v) {
            ss += (x - m) * (x - m);
        }
        return Math.sqrt(ss / v.length) / m;
    }

    @Test
    void constantRateIsEvenlySpacedAndFillsTheStage() {
        List<Long> t = drain(new OpenSchedule(LoadProfile.constant(100, Duration.ofSeconds(10)),
                ArrivalProcess.CONSTANT, 1, new Well19937c(1)));
        assertThat(t).hasSize(1000);
        for (double g : gapsSeconds(t)) {
            assertThat(g).isCloseTo(0.01, within(1e-6));
        }
        assertThat(t.get(0)).isEqualTo(5_000_000L);
    }

    @Test
    void poissonHasTheRateAndCvOfOne() {
        List<Long> t = drain(new OpenSchedule(LoadProfile.constant(200, Duration.ofSeconds(100)),
                ArrivalProcess.POISSON, 1, new Well19937c(42)));
        // 20,000 expected; the count of a Poisson process has sd √20000 ≈ 141.
        assertThat(t.size()).isBetween(19_400, 20_600);
        double[] g = gapsSeconds(t);
        assertThat(mean(g)).isCloseTo(0.005, within(0.0002));
        assertThat(cv(g)).isCloseTo(1.0, within(0.04));
    }

    @Test
    void gammaShapeSetsTheBurstiness() {
        double[] bursty = gapsSeconds(drain(new OpenSchedule(LoadProfile.constant(100, Duration.ofSeconds(100)),
                ArrivalProcess.GAMMA, 0.25, new Well19937c(7))));
        double[] smooth = gapsSeconds(drain(new OpenSchedule(LoadProfile.constant(100, Duration.ofSeconds(100)),
                ArrivalProcess.GAMMA, 4, new Well19937c(7))));
        assertThat(mean(bursty)).isCloseTo(0.01, within(0.001));
        assertThat(mean(smooth)).isCloseTo(0.01, within(0.0005));
        assertThat(cv(bursty)).isCloseTo(2.0, within(0.2));
        assertThat(cv(smooth)).isCloseTo(0.5, within(0.05));
    }

    @Test
    void sameSeedSameSchedule() {
        LoadProfile p = LoadProfile.constant(50, Duration.ofSeconds(5));
        assertThat(drain(new OpenSchedule(p, ArrivalProcess.POISSON, 1, new Well19937c(9))))
                .isEqualTo(drain(new OpenSchedule(p, ArrivalProcess.POISSON, 1, new Well19937c(9))))
                .isNotEqualTo(drain(new OpenSchedule(p, ArrivalProcess.POISSON, 1, new Well19937c(10))));
    }

    @Test
    void rampRateRisesLinearlyThenHolds() {
        // 0 → 100 req/s over 10 s (500 arrivals), then 100 req/s for 5 s (500 arrivals).
        LoadProfile p = LoadProfile.ramp(0, 100, Duration.ofSeconds(10), Duration.ofSeconds(5));
        assertThat(p.total()).isCloseTo(1000, within(1e-9));
        assertThat(p.inverse(p.cumulative(7.3))).isCloseTo(7.3, within(1e-9));
        List<Long> t = drain(new OpenSchedule(p, ArrivalProcess.CONSTANT, 1, new Well19937c(1)));
        assertThat(t).hasSize(1000);
        long firstHalf = t.stream().filter(x -> x < 5_000_000_000L).count();
        long secondHalf = t.stream().filter(x -> x >= 5_000_000_000L && x < 10_000_000_000L).count();
        assertThat(firstHalf).isBetween(124L, 126L);   // ∫0..5 10t dt = 125
        assertThat(secondHalf).isBetween(374L, 376L);  // 375
    }

    @Test
    void burstStepsUpForPartOfEachPeriod() {
        // base 10/s, ×5 for the last 2 s of every 10 s period, for 30 s: 3 × (8×10 + 2×50) = 540.
        LoadProfile p = LoadProfile.burst(10, 5, Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofSeconds(30));
        assertThat(p.total()).isCloseTo(540, within(1e-9));
        assertThat(p.valueAt(7.9)).isEqualTo(10);
        assertThat(p.valueAt(8.5)).isEqualTo(50);
        assertThat(p.valueAt(10.5)).isEqualTo(10);
        List<Long> t = drain(new OpenSchedule(p, ArrivalProcess.CONSTANT, 1, new Well19937c(1)));
        assertThat(t).hasSize(540);
        assertThat(t.stream().filter(x -> x >= 18_000_000_000L && x < 20_000_000_000L).count()).isEqualTo(100);
    }

    @Test
    void replayDividesRecordedTimesBySpeedup() {
        Schedule s = new ReplaySchedule(new long[] {0, 1_000_000_000L, 3_000_000_000L, 2_000_000_000L}, 2.0);
        assertThat(drain(s)).containsExactly(0L, 500_000_000L, 1_500_000_000L, 1_500_000_000L);
    }
}
