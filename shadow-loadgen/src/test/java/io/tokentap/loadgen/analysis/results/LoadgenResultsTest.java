package io.tokentap.loadgen.analysis.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.loadgen.analysis.KneeFinder;
import io.tokentap.loadgen.analysis.KneeCriteria;
import io.tokentap.loadgen.analysis.KneeResult;
import io.tokentap.loadgen.analysis.LevelSummary;
import io.tokentap.loadgen.analysis.LoadMode;
import io.tokentap.loadgen.result.LoadMetric;
import io.tokentap.loadgen.result.RequestOutcome;
import io.tokentap.loadgen.result.ResultsJson;
import io.tokentap.loadgen.result.RunResult;
import io.tokentap.loadgen.result.StageStats;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class LoadgenResultsTest {

    @TempDir
    Path dir;

    @Test
    void readsTheLoadGeneratorsResultsJson() throws Exception {
        RunResult run = new RunResult();
        run.info().put("kind", "sweep");
        run.stages().add(stage("c=8", 8, 100, 0.95, 0));
        run.stages().add(stage("c=16", 16, 120, 0.99, 4));
        StageStats bound = stage("c=32", 32, 130, 0.99, 9);
        bound.clientBound(true, "event loop lag");
        bound.addCount(RequestOutcome.DROPPED, 7);
        run.stages().add(bound);
        Path file = dir.resolve("results.json");
        new ResultsJson(new ObjectMapper()).write(run, file);

        ResultFile read = ResultFile.read(file);
        assertThat(ResultFile.of(run).levels()).isEqualTo(read.levels()); // in memory, the same

        assertThat(read.kind()).isEqualTo("sweep");
        assertThat(read.mode()).isEqualTo(LoadMode.CONCURRENCY);
        LevelSummary s16 = read.levels().get(1);
        assertThat(s16.load()).isEqualTo(16);
        assertThat(s16.ttftP50()).isCloseTo(0.120, within(0.0002));
        assertThat(s16.itlP50()).isCloseTo(0.025, within(0.0001));
        assertThat(s16.e2eMean()).isCloseTo(2.0, within(0.002));
        assertThat(s16.requestsPerSec()).isCloseTo(10, within(1e-9)); // 100 OK in 10 s
        assertThat(s16.outputTokensPerSec()).isCloseTo(1000, within(1e-9));
        assertThat(s16.inputTokensPerSec()).isCloseTo(500, within(1e-9));
        assertThat(s16.errorRate()).isCloseTo(2 / 102.0, within(1e-9));
        assertThat(s16.kvCacheUsage()).isEqualTo(0.99);
        assertThat(s16.queueDepth()).isEqualTo(4);
        // Dropped requests were never sent: not counted against the server.
        assertThat(read.stages().get(2).requests()).isEqualTo(102);
        assertThat(read.levels().get(2).clientBound()).isTrue();

        KneeResult knee = new KneeFinder(KneeCriteria.defaults()).find(read.levels());
        assertThat(knee.breaking().orElseThrow().load()).isEqualTo(16);
    }

    @Test
    void loadLabelsGiveTheNumericLoadAndTheMode() throws Exception {
        assertThat(LoadgenResults.load("c=32", 0)).isEqualTo(32);
        assertThat(LoadgenResults.load("c=1→64", 0)).isEqualTo(64);
        assertThat(LoadgenResults.load("r=12.5/s", 0)).isEqualTo(12.5);
        assertThat(LoadgenResults.load("replay x2", 3)).isEqualTo(4);

        RunResult run = new RunResult();
        run.stages().add(stage("r=5/s", 5, 100, Double.NaN, Double.NaN));
        run.info().put("mode", "rate");
        ResultFile f = ResultFile.parse(new ResultsJson(new ObjectMapper()).toJson(run).toString());
        assertThat(f.mode()).isEqualTo(LoadMode.RATE);
        assertThat(f.kind()).isEqualTo("run");
        assertThat(f.levels().get(0).kvCacheUsage()).isNaN();
    }

    @Test
    void aStageWithoutTtftOrAWrongVersionIsUnusable() {
        RunResult run = new RunResult();
        run.stages().add(new StageStats("c=1", "sustained", "c=1"));
        String json = new ResultsJson(new ObjectMapper()).toJson(run).toString();
        assertThatThrownBy(() -> ResultFile.parse(json))
                .isInstanceOf(ResultFormatException.class)
                .hasMessageStartingWith("stages[0] (c=1): no TTFT values");
        assertThatThrownBy(() -> ResultFile.parse(json.replace("\"version\":1", "\"version\":99")))
                .hasMessageStartingWith("version: 99");
    }

    private static StageStats stage(String label, double load, long ttftMillis, double kv, double queue) {
        StageStats s = new StageStats(label, "sustained", label, load);
        s.durationSeconds(10);
        s.addCount(RequestOutcome.OK, 100);
        s.addCount(RequestOutcome.TIMEOUT, load >= 16 ? 2 : 0);
        s.addTokens(5000, 10_000, 0);
        for (int i = 0; i < 100; i++) {
            s.histogram(LoadMetric.TTFT).recordValue(ttftMillis * 1000);
            s.histogram(LoadMetric.E2E).recordValue(2_000_000);
        }
        s.histogram(LoadMetric.ITL).recordValueWithCount(25_000, 1000);
        if (!Double.isNaN(kv)) {
            s.server().put("kv_cache_usage_max", kv);
            s.server().put("kv_cache_usage_mean", kv - 0.2);
        }
        if (!Double.isNaN(queue)) {
            s.server().put("queue_depth_mean", queue);
            s.server().put("queue_depth_max", queue + 10);
        }
        return s;
    }
}
