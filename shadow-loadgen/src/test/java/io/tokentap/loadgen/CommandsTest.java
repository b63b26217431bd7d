package io.tokentap.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.loadgen.result.ResultsJson;
import io.tokentap.loadgen.result.RunResult;
import io.tokentap.loadgen.testing.ScriptedUpstream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(60)
class CommandsTest {

    static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    ScriptedUpstream upstream;
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

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
        return new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true)
                .setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
    }

    @Test
    void runWritesResultsAndPrintsTheTable() throws Exception {
        Path workload = dir.resolve("w.yaml");
        Files.writeString(workload, "type: synthetic\nclasses: [{name: a, prompt_tokens: 20, output_tokens: 8}]\n");
        Path outDir = dir.resolve("out");
        int code = run(new RunCommand(), "--target", upstream.url(), "--out", outDir.toString(), "--rate", "40",
                "--arrival", "constant", "--duration", "1s", "--workload", workload.toString(), "--model", "mx",
                "--slo-ttft", "60s");
        assertThat(code).as(err.toString()).isZero();
        assertThat(upstream.requests.get()).isEqualTo(40);
        assertThat(upstream.bodies.peek().get("model").asText()).isEqualTo("mx");
        JsonNode json = MAPPER.readTree(outDir.resolve("results.json").toFile());
        assertThat(json.get("schema").asText()).isEqualTo(ResultsJson.SCHEMA);
        assertThat(json.get("mode").asText()).isEqualTo("rate");
        assertThat(json.get("stages").get(0).get("outcomes").get("ok").asLong()).isEqualTo(40);
        assertThat(json.get("run").get("good_requests").asLong()).isEqualTo(40);
        assertThat(Files.readAllLines(outDir.resolve("results.csv"))).hasSize(3);
        String hlog = Files.readString(outDir.resolve("intervals.hlog"));
        assertThat(hlog).contains("Tag=s1.ttft", "Tag=s1.itl", "#[StartTime:");
        assertThat(out.toString()).contains("ttft p50", "r=40/s");
    }

    @Test
    void aWarmUpIsSentButLeftOutOfTheResults() throws Exception {
        Path outDir = dir.resolve("warm");
        long cpuBefore = processCpuNanos();
        int code = run(new RunCommand(), "--target", upstream.url(), "--out", outDir.toString(), "--rate", "40",
                "--arrival", "constant", "--warmup", "1s", "--duration", "1s", "--workload", workload(8).toString());
        long cpuAfter = processCpuNanos();
        assertThat(code).as(err.toString()).isZero();
        RunResult r = new ResultsJson(MAPPER).read(outDir.resolve("results.json"));
        // The client's CPU in the measured window, written and read back: some, and no more than the whole run used.
        assertThat(r.stages().get(0).clientCpuSeconds()).isPositive()
                .isLessThanOrEqualTo((cpuAfter - cpuBefore) / 1e9);
        // 40 requests in the warm-up second (a few more: it ends on a request's end past 1 s), 40 in the measured
        // second; the results hold the measured ones only.
        assertThat(upstream.requests.get()).isBetween(79, 90);
        assertThat(r.stages()).hasSize(1);
        assertThat(r.stages().get(0).requests()).isBetween(39L, 41L);
        assertThat(r.partial()).isFalse();
        assertThat(err.toString()).contains("after a warm-up of 1s");
    }

    @Test
    void aWarmUpNeedsASingleStage() throws Exception {
        Path plan = dir.resolve("p.yaml");
        Files.writeString(plan, "stages: [{type: sustained, concurrency: 2, hold: 500ms}]\n");
        int code = run(new RunCommand(), "--target", upstream.url(), "--out", dir.toString(), "--plan", plan.toString(),
                "--warmup", "1s");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--warmup applies to a single stage");
        assertThat(upstream.requests.get()).isZero();
    }

    @Test
    void runPlanStagesEachGetResults() throws Exception {
        Path plan = dir.resolve("p.yaml");
        Files.writeString(plan, """
                name: two
                max_requests: 1000
                stages:
                  - {type: sustained, concurrency: 2, hold: 500ms}
                  - {type: ramp, rate: {from: 10, to: 30}, over: 500ms, hold: 0s, arrival: constant}
                """);
        Path outDir = dir.resolve("o");
        int code = run(new RunCommand(), "--target", upstream.url(), "--out", outDir.toString(), "--plan", plan.toString());
        assertThat(code).as(err.toString()).isZero();
        RunResult r = new ResultsJson(MAPPER).read(outDir.resolve("results.json"));
        assertThat(r.stages()).hasSize(2);
        assertThat(r.stages().get(0).load()).isEqualTo("c=2");
        assertThat(r.stages().get(0).requests()).isGreaterThanOrEqualTo(2);
        assertThat(r.stages().get(1).requests()).isEqualTo(10);
        assertThat(r.partial()).isFalse();
    }

    @Test
    void theMaxDurationIsAHardLimit() throws Exception {
        upstream.itlMillis = 200;   // 20 tokens: 4 s per stream, far past the limit
        Path outDir = dir.resolve("m");
        long start = System.nanoTime();
        Path plan = dir.resolve("limit.yaml");
        Files.writeString(plan, "max_duration: 1s\nstages: [{type: sustained, concurrency: 2, hold: 500ms}]\n");
        int code = run(new RunCommand(), "--target", upstream.url(), "--out", outDir.toString(), "--plan",
                plan.toString(), "--workload", workload(20).toString());
        double took = (System.nanoTime() - start) / 1e9;
        assertThat(code).as(err.toString()).isZero();
        assertThat(took).isLessThan(3.9);
        RunResult r = new ResultsJson(MAPPER).read(outDir.resolve("results.json"));
        assertThat(r.stages().get(0).count(io.tokentap.loadgen.result.RequestOutcome.CLIENT_CANCEL)).isEqualTo(2);
        assertThat(r.partial()).isTrue();
        assertThat(r.stopReason()).isEqualTo("max duration");
    }

    private Path workload(int outputTokens) throws Exception {
        Path w = dir.resolve("w" + outputTokens + ".yaml");
        Files.writeString(w, "type: synthetic\nclasses: [{name: a, prompt_tokens: 5, output_tokens: " + outputTokens + "}]\n");
        return w;
    }

    @Test
    void badPlanIsNamedAndExitsTwo() throws Exception {
        Path plan = dir.resolve("bad.yaml");
        Files.writeString(plan, "stages:\n  - type: soak\n    concurrency: 2\n    hold: forever\n");
        int code = run(new RunCommand(), "--target", upstream.url(), "--out", dir.toString(), "--plan", plan.toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("bad.yaml:4: stages[0].hold: 'forever' is not a duration");
        assertThat(upstream.requests.get()).isZero();
    }

    @Test
    void replaySendsTheCaptureAtTheRecordedTimesSpedUp() throws Exception {
        List<String> lines = new ArrayList<>();
        long t0 = 1_700_000_000_000_000L;
        for (int i = 0; i < 10; i++) {
            lines.add("{\"v\":1,\"arrival_us\":" + (t0 + i * 100_000L) + ",\"route\":\"/v1/chat/completions\","
                    + "\"model\":\"m\",\"tenant\":\"sha256:" + (i % 2) + "\",\"redaction\":\"shape\",\"shape\":{\"messages\":"
                    + "[{\"role\":\"user\",\"tokens\":" + (10 + i) + "}],\"block_size\":16,\"hash_ids\":[1]},"
                    + "\"timeline\":{\"output_tokens\":" + (i + 1) + "}}");
            if (i == 4) {
                lines.add("{\"v\":1,\"arrival_us\":\"soon\"}");
            }
        }
        Path cap = dir.resolve("cap.jsonl");
        Files.write(cap, lines);
        Path outDir = dir.resolve("r");
        long start = System.nanoTime();
        int code = run(new ReplayCommand(), "--capture", cap.toString(), "--target", upstream.url(), "--speedup", "2",
                "--out", outDir.toString(), "--tenant-header", "x-api-key", "--tenant-keys", "a,b,c");
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(code).as(err.toString()).isZero();
        assertThat(err.toString()).contains("cap.jsonl:6: skipped:");
        assertThat(upstream.requests.get()).isEqualTo(10);
        // The request mix matches the capture: the recorded output lengths, in order.
        assertThat(upstream.maxTokens()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        // Two tenants in the capture → two fixed keys.
        assertThat(upstream.tenantKeys.stream().distinct().count()).isEqualTo(2);
        // 0.9 s of capture at ×2 is 0.45 s of sending.
        assertThat(tookMs).isGreaterThan(400);
        RunResult r = new ResultsJson(MAPPER).read(outDir.resolve("results.json"));
        assertThat(r.stages().get(0).requests()).isEqualTo(10);
        assertThat(MAPPER.readTree(outDir.resolve("results.json").toFile()).get("kind").asText()).isEqualTo("replay");
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
