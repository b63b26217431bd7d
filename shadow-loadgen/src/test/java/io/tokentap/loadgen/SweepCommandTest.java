package io.tokentap.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.loadgen.result.LoadMetric;
import io.tokentap.loadgen.result.ResultsJson;
import io.tokentap.loadgen.result.RunResult;
import io.tokentap.loadgen.result.StageStats;
import io.tokentap.loadgen.testing.ScriptedUpstream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tokentap sweep}, {@code tokentap merge} and {@code replay --shard} against a scripted upstream. */
@Timeout(120)
class SweepCommandTest {

    static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    ScriptedUpstream upstream;
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    @BeforeEach
    void start() throws Exception {
        upstream = new ScriptedUpstream();
        upstream.ttftMillis = 3;
        upstream.itlMillis = 1;
    }

    @AfterEach
    void stop() {
        upstream.close();
    }

    private int run(Object command, String... args) {
        out = new StringWriter();
        err = new StringWriter();
        return new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true)
                .setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
    }

    private Path workload() throws Exception {
        Path w = dir.resolve("w.yaml");
        Files.writeString(w, "type: synthetic\nclasses: [{name: a, prompt_tokens: 20, output_tokens: 10}]\n");
        return w;
    }

    @Test
    void aServerThatNeverSaturatesHasNoBreakingPoint() throws Exception {
        Path outDir = dir.resolve("out");
        // 110 ms a request whatever the load: the upstream's time, not the host's CPU, sets the pace.
        upstream.ttftMillis = 20;
        upstream.itlMillis = 10;
        int code = run(new SweepCommand(), "--target", upstream.url(), "--out", outDir.toString(),
                "--workload", workload().toString(), "--max-level", "8", "--hold", "1s", "--warmup", "200ms",
                "--warmup-max", "2s", "--max-client-lag", "1s");
        assertThat(code).as(err.toString()).isZero();
        // The scripted upstream's latency does not depend on load: every level is as fast as the first.
        assertThat(out.toString()).contains("no breaking point up to the max level (8)")
                .contains("concurrency", "tok/s", "operating point:", "report: ");
        assertThat(err.toString()).contains("level c=1 done", "level c=8 done");
        RunResult r = new ResultsJson(MAPPER).read(outDir.resolve("results.json"));
        assertThat(r.info()).containsEntry("kind", "sweep");
        assertThat(r.stages()).extracting(StageStats::level).containsExactly(1.0, 2.0, 4.0, 8.0);
        // Each level had a warm-up whose requests stayed out of its figures.
        assertThat(r.warmups()).hasSize(4);
        for (StageStats w : r.warmups()) {
            assertThat(w.requests()).isPositive();
        }
        long sent = r.stages().stream().mapToLong(StageStats::requests).sum()
                + r.warmups().stream().mapToLong(StageStats::requests).sum();
        assertThat(upstream.requests.get()).isEqualTo(sent);
        assertThat(r.traffic().histogram(LoadMetric.TTFT).getTotalCount()).isEqualTo(sent);
        assertThat(Files.readString(outDir.resolve("report.html"))).contains("<svg");
    }

    @Test
    void aLevelThatBreaksStopsTheLadderAndIsBisected() throws Exception {
        Path outDir = dir.resolve("out");
        // Past 4 streams the upstream refuses: the error criterion fires at 8 and bisection tries 6, then 5 or 7.
        upstream.maxConcurrentBeforeError = 4;
        upstream.ttftMillis = 20;
        upstream.itlMillis = 10;
        // Only the error criterion: this test is about the ladder and the bisection, not about timing noise.
        int code = run(new SweepCommand(), "--target", upstream.url(), "--out", outDir.toString(),
                "--workload", workload().toString(), "--max-level", "64", "--hold", "1s", "--warmup", "200ms",
                "--warmup-max", "2s", "--max-client-lag", "1s", "--criteria", "error_rate");
        assertThat(code).as(err.toString()).isZero();
        RunResult r = new ResultsJson(MAPPER).read(outDir.resolve("results.json"));
        List<Double> levels = r.stages().stream().map(StageStats::level).toList();
        assertThat(levels).startsWith(1.0, 2.0, 4.0, 8.0).doesNotContain(16.0, 32.0, 64.0);
        assertThat(levels.subList(4, levels.size())).isNotEmpty().allMatch(l -> l > 4 && l < 8);
        assertThat(out.toString()).containsPattern("breaking point at load [5-8]: error rate");
    }

    @Test
    void badOptionsAreReportedByName() {
        assertThat(run(new SweepCommand(), "--target", upstream.url(), "--out", dir.toString(), "--mode", "fast"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--mode: fast");
        assertThat(run(new SweepCommand(), "--target", upstream.url(), "--out", dir.toString(), "--levels", "1.5,3"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--levels: 1.5");
    }

    @Test
    void shardsReplayTheWholeCaptureAndMergeExactly() throws Exception {
        Path capture = dir.resolve("capture.jsonl");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            b.append(String.format(java.util.Locale.ROOT,
                    "{\"v\":1,\"arrival_us\":%d,\"route\":\"/v1/chat/completions\",\"model\":\"m\","
                            + "\"redaction\":\"full\",\"request\":{\"model\":\"m\",\"stream\":true,\"max_tokens\":%d,"
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"hello %d\"}]}}%n", 1763848800000000L + i * 20_000L, 4 + i, i));
        }
        Files.writeString(capture, b.toString());
        for (int i = 0; i < 3; i++) {
            int code = run(new ReplayCommand(), "--capture", capture.toString(), "--target", upstream.url(),
                    "--out", dir.resolve("shard" + i).toString(), "--shard", i + "/3", "--no-report");
            assertThat(code).as(err.toString()).isZero();
        }
        // Shards 0, 1 and 2 of 10 records hold 4, 3 and 3 of them: together every record once.
        assertThat(upstream.requests.get()).isEqualTo(10);
        int code = run(new MergeCommand(), dir.resolve("shard0").toString(), dir.resolve("shard1").toString(),
                dir.resolve("shard2").resolve("results.json").toString(), "--out", dir.resolve("merged").toString());
        assertThat(code).as(err.toString()).isZero();
        RunResult merged = new ResultsJson(MAPPER).read(dir.resolve("merged").resolve("results.json"));
        StageStats s = merged.stages().get(0);
        assertThat(s.requests()).isEqualTo(10);
        assertThat(s.histogram(LoadMetric.TTFT).getTotalCount()).isEqualTo(10);
        // max_tokens 4..13: the upstream sends that many tokens each.
        assertThat(s.outputTokens()).isEqualTo(85);
        assertThat(merged.info()).containsEntry("shards", "3");
        JsonNode json = MAPPER.readTree(dir.resolve("merged").resolve("results.json").toFile());
        assertThat(json.get("run").get("requests").asLong()).isEqualTo(10);
        assertThat(out.toString()).contains("merged 3 shards");
    }

    @Test
    void aBadShardAndUnusableMergeInputAreRefused() throws Exception {
        Path capture = dir.resolve("c.jsonl");
        Files.writeString(capture, "{\"v\":1,\"arrival_us\":1763848800000000,\"route\":\"/v1/chat/completions\","
                + "\"model\":\"m\",\"redaction\":\"full\",\"request\":{\"model\":\"m\",\"stream\":true,\"max_tokens\":4,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}}\n");
        assertThat(run(new ReplayCommand(), "--capture", capture.toString(), "--target", upstream.url(),
                "--out", dir.resolve("o").toString(), "--shard", "3/3")).isEqualTo(2);
        assertThat(err.toString()).contains("--shard: 3/3");
        Files.writeString(dir.resolve("bad.json"), "{\"schema\":\"other\"}");
        assertThat(run(new MergeCommand(), dir.resolve("bad.json").toString(), "--out", dir.resolve("m").toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("bad.json", "schema");
    }
}
