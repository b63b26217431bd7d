package io.tokentap.loadgen.result;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.core.stream.ContentKind;
import io.tokentap.core.stream.Usage;
import io.tokentap.core.timeline.RequestTimeline;
import io.tokentap.core.timeline.Slo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ResultsTest {

    static final ObjectMapper MAPPER = new ObjectMapper();
    static final long MS = 1_000_000L;

    @TempDir
    Path dir;

    /** A stage with {@code n} requests: TTFT spread by the seed, 10 tokens 20 ms apart, a few failures. */
    private static StageStats stage(String name, int n, long seed, Slo slo) {
        StageRecorder rec = new StageRecorder(new StageStats(name, "sustained", "c=4"), slo);
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) {
            long start = 1_000 * MS * i;
            RequestTimeline t = new RequestTimeline(start, rec.intervalListener());
            rec.dispatched(r.nextInt(200) * 1000L);
            long ttft = (50 + r.nextInt(400)) * MS;
            for (int k = 0; k < 10; k++) {
                t.content(start + ttft + k * 20 * MS, ContentKind.TEXT, 0, null);
            }
            t.usage(start, new Usage(100, 10, 20, Usage.UNKNOWN));
            t.end(start + ttft + 200 * MS, io.tokentap.core.stream.Outcome.OK);
            RequestOutcome o = i % 10 == 9 ? RequestOutcome.RATE_LIMITED : RequestOutcome.OK;
            rec.finished(t, start, o);
        }
        rec.drain((m, h) -> { });
        rec.stats().durationSeconds(10);
        return rec.stats();
    }

    /**
     * The events of one read share its timestamp, so after the first each has a gap of 0: such a run is recorded in
     * one call when the read is done (the executor flushes) or the request ends (the timeline flushes), and every gap
     * reaches the stage, in the interval of its read.
     */
    @Test
    void theEqualGapsOfAReadAreRecordedAsARunAndEveryGapCounts() {
        StageRecorder rec = new StageRecorder(new StageStats("s", "sustained", "c=1"), Slo.NONE);
        StageRecorder.Events l = rec.intervalListener();
        RequestTimeline t = new RequestTimeline(0, l);
        rec.dispatched(0);
        Histogram firstInterval = new Histogram(1, StageStats.HIGHEST_MICROS, 3);
        for (int read = 1; read <= 3; read++) {
            for (int e = 0; e < 16; e++) {
                t.content(read * 20 * MS, ContentKind.TEXT, 1, null);
            }
            if (read < 3) {
                l.flush();
            }
            if (read == 2) {
                rec.drain((m, h) -> {
                    if (m == LoadMetric.ITL) {
                        firstInterval.add(h);
                    }
                });
            }
        }
        t.end(60 * MS, io.tokentap.core.stream.Outcome.OK);
        rec.finished(t, 0, RequestOutcome.OK);
        rec.drain((m, h) -> { });
        // Reads 1 and 2: 15 gaps of 0 (recorded as 1 µs, the histograms' lowest value), one of 20 ms, 15 of 0.
        assertThat(firstInterval.getTotalCount()).isEqualTo(31);
        assertThat(firstInterval.getCountAtValue(20_000)).isEqualTo(1);
        for (LoadMetric m : List.of(LoadMetric.ITL, LoadMetric.ITL_PER_TOKEN)) {
            Histogram h = rec.stats().histogram(m);
            assertThat(h.getTotalCount()).as("%s", m).isEqualTo(47);
            assertThat(h.getCountAtValue(1)).as("%s", m).isEqualTo(45);
            assertThat(h.getCountAtValue(20_000)).as("%s", m).isEqualTo(2);
        }
    }

    @Test
    void recorderAppliesTheMetricDefinitionsAndSlos() {
        StageStats s = stage("a", 100, 1, new Slo(Duration.ofMillis(250), null, null, Duration.ofMillis(30)));
        assertThat(s.requests()).isEqualTo(100);
        assertThat(s.count(RequestOutcome.RATE_LIMITED)).isEqualTo(10);
        assertThat(s.histogram(LoadMetric.TTFT).getTotalCount()).isEqualTo(90);
        assertThat(s.histogram(LoadMetric.ITL).getTotalCount()).isEqualTo(900);
        assertThat(s.millis(LoadMetric.ITL, 50)).isCloseTo(20, within(0.05));
        assertThat(s.millis(LoadMetric.TPOT, 50)).isCloseTo(20, within(0.05));
        assertThat(s.outputTokens()).isEqualTo(1000);
        assertThat(s.requestsPerSecond()).isEqualTo(9.0);
        assertThat(s.outputTokensPerSecond()).isEqualTo(100.0);
        // About half the OK requests have TTFT ≤ 250 ms (uniform 50..450).
        assertThat(s.goodRequests()).isBetween(30L, 60L);
        assertThat(s.percent(RequestOutcome.RATE_LIMITED)).isEqualTo(10.0);
    }

    @Test
    void resultsJsonRoundTripsExactly() throws Exception {
        RunResult r = new RunResult();
        r.info().put("target", "http://127.0.0.1:1");
        r.slo(new Slo(Duration.ofMillis(300), null, Duration.ofSeconds(5), null));
        r.stages().add(stage("one", 50, 1, r.slo()));
        StageStats two = stage("two", 70, 2, r.slo());
        two.clientBound(true, "schedule lag p99 12 ms > 5 ms");
        two.server().put("kv_cache_usage_max", 0.93);
        two.classes().put("a", stage("a", 5, 3, r.slo()));
        two.classes().put("b", stage("b", 6, 4, r.slo()));
        two.chainTokens().recordValue(1234);
        two.addChainsIncomplete(2);
        r.stages().add(two);
        r.stopped(true, "interrupted");
        r.pricing(new RunResult.Pricing(0.5, 1.5));
        Path f = dir.resolve("results.json");
        ResultsJson json = new ResultsJson(MAPPER);
        json.write(r, f);
        assertThat(MAPPER.readTree(f.toFile()).path("version").asInt()).isEqualTo(1);
        RunResult back = json.read(f);
        assertThat(back.partial()).isTrue();
        assertThat(back.slo()).isEqualTo(r.slo());
        assertThat(back.pricing()).isEqualTo(r.pricing());
        // 100 input and 10 output tokens per request (every tenth was rate-limited but still carried usage here).
        assertThat(r.pricing().costPerRequest(r.stages().get(0))).isCloseTo((100 * 0.5 + 10 * 1.5) / 1e6, within(1e-12));
        assertThat(back.info()).containsEntry("target", "http://127.0.0.1:1");
        assertThat(back.stages()).hasSize(2);
        for (int i = 0; i < 2; i++) {
            StageStats a = r.stages().get(i);
            StageStats b = back.stages().get(i);
            for (LoadMetric m : LoadMetric.values()) {
                assertThat(b.histogram(m)).as(m.key()).isEqualTo(a.histogram(m));
            }
            for (RequestOutcome o : RequestOutcome.values()) {
                assertThat(b.count(o)).isEqualTo(a.count(o));
            }
            assertThat(b.outputTokens()).isEqualTo(a.outputTokens());
            assertThat(b.goodRequests()).isEqualTo(a.goodRequests());
        }
        assertThat(back.stages().get(1).clientBound()).isTrue();
        assertThat(back.stages().get(1).server()).containsEntry("kv_cache_usage_max", 0.93);
        assertThat(back.stages().get(1).classes()).containsOnlyKeys("a", "b");
        assertThat(back.stages().get(1).classes().get("b").histogram(LoadMetric.TTFT))
                .isEqualTo(two.classes().get("b").histogram(LoadMetric.TTFT));
        assertThat(back.stages().get(1).chainTokens()).isEqualTo(two.chainTokens());
        assertThat(back.stages().get(1).chainsIncomplete()).isEqualTo(2);
        assertThat(new ConsoleTable().render(back)).contains("  a ", "  b ", "chains two: 1 complete, 2 incomplete");
        // Bad input is refused with what was expected.
        assertThatThrownBy(() -> json.fromJson(MAPPER.readTree("{\"schema\":\"x\"}"))).hasMessageContaining("schema");
    }

    @Test
    void theSweepAnalysisReadsTheResults() throws Exception {
        RunResult r = new RunResult();
        r.info().put("mode", "concurrency");
        StageStats s = new StageStats("c8", "sustained", "c=8", 8);
        StageStats filled = stage("c8", 30, 3, Slo.NONE);
        s.add(filled, true);
        r.stages().add(s);
        Path f = dir.resolve("results.json");
        new ResultsJson(MAPPER).write(r, f);
        var read = io.tokentap.loadgen.analysis.results.ResultFile.read(f);
        assertThat(read.stages()).hasSize(1);
        assertThat(read.levels().get(0).load()).isEqualTo(8.0);
        assertThat(new ResultsJson(MAPPER).read(f).stages().get(0).level()).isEqualTo(8.0);
    }

    /**
     * Each thread records the per-event figures into histograms of its own; the drains, run while they record, must
     * hand on every value exactly once, as one merged interval per figure with the span of its parts. Events of one
     * token are recorded once for both figures, and a class's events for the class only: the stage must still hold
     * every event, and each class its own.
     */
    @Test
    void perEventFiguresFromManyThreadsAreDrainedWholeAndOnce() throws Exception {
        StageRecorder rec = new StageRecorder(new StageStats("s", "sustained", "c=4"), Slo.NONE);
        int threads = 4;
        int perThread = 200_000;
        Histogram expectedItl = new Histogram(1, StageStats.HIGHEST_MICROS, 3);
        Histogram expectedPerToken = new Histogram(1, StageStats.HIGHEST_MICROS, 3);
        Histogram expectedClassAItl = new Histogram(1, StageStats.HIGHEST_MICROS, 3);
        Histogram expectedClassAPerToken = new Histogram(1, StageStats.HIGHEST_MICROS, 3);
        String[] labels = {null, "a", "b", "a"}; // thread 0's requests have no class
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < perThread; i++) {
                long gap = gapNanos(t, i);
                long perToken = Math.max(1, (gap / tokens(i) + 500) / 1_000); // as recorded: µs, at least 1
                expectedItl.recordValue(gap / 1_000);
                expectedPerToken.recordValue(perToken);
                if ("a".equals(labels[t])) {
                    expectedClassAItl.recordValue(gap / 1_000);
                    expectedClassAPerToken.recordValue(perToken);
                }
            }
        }
        Histogram drainedItl = new Histogram(1, StageStats.HIGHEST_MICROS, 3);
        List<Long> spans = new java.util.ArrayList<>();
        StageRecorder.IntervalSink sink = (m, h) -> {
            if (m == LoadMetric.ITL) {
                drainedItl.add(h);
                if (h.getTotalCount() > 0) {
                    assertThat(h.getStartTimeStamp()).isPositive().isLessThanOrEqualTo(h.getEndTimeStamp());
                    spans.add(h.getEndTimeStamp() - h.getStartTimeStamp());
                }
            }
        };
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<Thread> writers = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = new Thread(() -> {
                RequestTimeline.IntervalListener l = rec.intervalListener(labels[id]);
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    l.interTokenLatency(gapNanos(id, i), tokens(i));
                }
                l.flush(); // what a request's end does: the last run of equal gaps is recorded
            });
            w.start();
            writers.add(w);
        }
        go.countDown();
        while (writers.stream().anyMatch(Thread::isAlive)) {
            rec.drain(sink);
        }
        rec.drain(sink);
        for (Thread w : writers) {
            w.join();
        }
        assertThat(drainedItl).isEqualTo(expectedItl);
        assertThat(rec.stats().histogram(LoadMetric.ITL)).isEqualTo(expectedItl);
        assertThat(rec.stats().histogram(LoadMetric.ITL_PER_TOKEN)).isEqualTo(expectedPerToken);
        StageStats classA = rec.stats().classes().get("a");
        assertThat(classA.histogram(LoadMetric.ITL)).isEqualTo(expectedClassAItl);
        assertThat(classA.histogram(LoadMetric.ITL_PER_TOKEN)).isEqualTo(expectedClassAPerToken);
        assertThat(rec.stats().classes().get("b").histogram(LoadMetric.ITL).getTotalCount()).isEqualTo(perThread);
        assertThat(spans).isNotEmpty();
    }

    /** The {@code i}-th gap of writer {@code t}: 1-5,000 µs, in whole microseconds. */
    private static long gapNanos(int t, int i) {
        return (1 + (i * 7L + t) % 5_000) * 1_000;
    }

    private static int tokens(int i) {
        return 1 + i % 3;
    }

    @Test
    void shardMergeIsExact() {
        RunResult a = new RunResult();
        a.stages().add(stage("s", 40, 1, Slo.NONE));
        RunResult b = new RunResult();
        b.stages().add(stage("s", 60, 2, Slo.NONE));
        RunResult m = RunResult.mergeShards(List.of(a, b));
        StageStats s = m.stages().get(0);
        Histogram expected = a.stages().get(0).histogram(LoadMetric.TTFT).copy();
        expected.add(b.stages().get(0).histogram(LoadMetric.TTFT));
        assertThat(s.histogram(LoadMetric.TTFT)).isEqualTo(expected);
        assertThat(s.requests()).isEqualTo(100);
        // Shards ran side by side: throughput adds.
        assertThat(s.durationSeconds()).isEqualTo(10);
        assertThat(s.requestsPerSecond()).isEqualTo(a.stages().get(0).requestsPerSecond()
                + b.stages().get(0).requestsPerSecond());
        // Through JSON too.
        ResultsJson json = new ResultsJson(MAPPER);
        RunResult viaJson = RunResult.mergeShards(List.of(json.fromJson(json.toJson(a)), json.fromJson(json.toJson(b))));
        assertThat(viaJson.stages().get(0).histogram(LoadMetric.E2E)).isEqualTo(s.histogram(LoadMetric.E2E));
    }

    @Test
    void csvAndConsoleTable() throws Exception {
        RunResult r = new RunResult();
        r.stages().add(stage("warm", 20, 1, Slo.NONE));
        StageStats b = stage("peak", 30, 2, Slo.NONE);
        b.clientBound(true, "event loop lag p99 40 ms");
        r.stages().add(b);
        Path csv = dir.resolve("results.csv");
        new ResultsCsv().write(r, csv);
        List<String> lines = Files.readAllLines(csv);
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).startsWith("stage,type,load,duration_s,client_bound,requests,");
        assertThat(lines.get(0).split(",")).hasSameSizeAs(lines.get(1).split(",", -1));
        assertThat(lines.get(2)).startsWith("peak,sustained,c=4,10.000,true,30,");
        assertThat(lines.get(3)).startsWith("total,run,");

        String table = new ConsoleTable().render(r);
        List<String> rows = table.lines().toList();
        assertThat(rows.get(0)).startsWith("stage").contains("req/s", "tok/s", "ttft p50", "itl p50", "tpot p50",
                "429%", "ovl%", "4xx%", "p99/p50", "$/req", "goodput%");
        assertThat(rows.get(1)).startsWith("warm ").contains(" c=4 ");
        assertThat(rows.get(2)).startsWith("peak ").endsWith("CLIENT-BOUND");
        assertThat(rows.get(3)).startsWith("total");
        assertThat(table).contains("CLIENT-BOUND peak: event loop lag p99 40 ms");
        // The 429 column of "warm" holds 10.0 (every tenth request).
        int col = rows.get(0).indexOf("429%") + 4;
        assertThat(rows.get(1).substring(col - 6, col).trim()).isEqualTo("10.0");
    }
}
