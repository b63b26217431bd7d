package io.tokentap.sim.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokentap.sim.profile.Profile;
import io.tokentap.sim.profile.ProfileLoader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The llama3-8b-a100 profile against the published table (Llama-3 8B, one A100 80GB), swept in virtual time.
 * Workload: prompts uniform in 400..600 tokens, max_tokens 4096, natural output length from the profile
 * (log-normal, mean 250), users ramped in over 5 s, max(100, 5 × concurrency) requests per level.
 */
class CalibrationTest {
    static final ClosedLoopSweep.Workload WORKLOAD = new ClosedLoopSweep.Workload(400, 600, 4096, false, 5.0);
    static final int[] LEVELS = {1, 8, 16, 32, 64, 128};
    static final Map<Integer, Double> TABLE = Map.of(1, 58.0, 8, 410.0, 16, 735.0, 32, 1180.0, 64, 1450.0, 128, 1310.0);

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void reproducesTheShapeOfThePublishedTable() {
        Profile profile = new ProfileLoader().load("llama3-8b-a100");
        ClosedLoopSweep sweep = new ClosedLoopSweep(profile, WORKLOAD, 42);
        Map<Integer, ClosedLoopSweep.Level> rows = new LinkedHashMap<>();
        StringBuilder table = new StringBuilder(ClosedLoopSweep.header()).append('\n');
        for (int c : LEVELS) {
            ClosedLoopSweep.Level level = sweep.run(c, Math.max(100, 5 * c));
            rows.put(c, level);
            table.append(level).append('\n');
        }
        System.out.println(table);

        for (int c : new int[] {1, 8, 32, 64}) {
            assertThat(rows.get(c).throughput()).as("throughput at %d", c).isBetween(TABLE.get(c) * 0.75, TABLE.get(c) * 1.25);
        }
        int peak = rows.values().stream().max((a, b) -> Double.compare(a.throughput(), b.throughput())).orElseThrow().concurrency();
        assertThat(peak).as("peak throughput level").isIn(32, 64, 128);
        assertThat(rows.get(128).ttftP95()).as("TTFT p95 at 128 vs 32").isGreaterThanOrEqualTo(3 * rows.get(32).ttftP95());
        for (int c : new int[] {1, 8, 16, 32}) {
            assertThat(rows.get(c).errorPct()).as("errors at %d", c).isZero();
        }
        assertThat(rows.get(128).errorPct()).as("errors at 128").isPositive();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void theKvWallPreemptsOnTheSmallCacheOf70bOnTwoH100s() {
        Profile profile = new ProfileLoader().load("llama3-70b-2xh100");
        ClosedLoopSweep sweep = new ClosedLoopSweep(profile, new ClosedLoopSweep.Workload(1500, 2500, 4096, true, 5.0), 7);
        ClosedLoopSweep.Level low = sweep.run(4, 20); // 4 × 6.1k tokens fit in the cache
        ClosedLoopSweep.Level high = sweep.run(64, 200);
        assertThat(low.preemptions()).isZero();
        // 64 × (2000 + 4096) tokens is far past the 41k-token cache: requests must be preempted and recomputed.
        assertThat(high.preemptions()).isPositive();
    }
}
