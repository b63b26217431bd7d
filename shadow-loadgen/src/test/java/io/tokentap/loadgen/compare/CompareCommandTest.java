package io.tokentap.loadgen.compare;

import static io.tokentap.loadgen.compare.Samples.histogram;
import static io.tokentap.loadgen.compare.Samples.logNormal;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.loadgen.analysis.LoadMode;
import io.tokentap.loadgen.analysis.results.ResultFile;
import io.tokentap.loadgen.analysis.results.StageResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(20)
class CompareCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void aSlowerCandidateExitsOneWithAMarkdownVerdict() throws Exception {
        Path base = write("base.json", 1, 1.0, 1000);
        Path cand = write("cand.json", 2, 1.3, 900);

        int code = run(base.toString(), cand.toString());

        assertThat(code).isEqualTo(1);
        assertThat(out.toString()).contains("REGRESSION", "| ttft_p95 (gated) |", "Welch's t-test p",
                "Mann-Whitney U p", "Cohen's d", "| output_tokens_per_sec | 1000.0 tokens/s | 900.0 tokens/s | -10.0% |");
    }

    @Test
    void theSameDistributionExitsZero() throws Exception {
        int code = run(write("a.json", 3, 1.0, 1000).toString(), write("b.json", 4, 1.0, 1000).toString());
        assertThat(code).as(out.toString()).isZero();
        assertThat(out.toString()).contains("PASS");
    }

    @Test
    void jsonOutputCarriesTheVerdictAndEveryChange() throws Exception {
        int code = run(write("a.json", 5, 1.0, 1000).toString(), write("b.json", 6, 1.3, 1000).toString(),
                "--format", "json", "--threshold", "50%");

        assertThat(code).isZero(); // +30% is significant but under a 50% threshold
        JsonNode json = new ObjectMapper().readTree(out.toString());
        assertThat(json.get("verdict").asText()).isEqualTo("PASS");
        assertThat(json.get("thresholdPercent").asDouble()).isEqualTo(50);
        assertThat(json.get("p").asDouble()).isLessThan(0.05);
        assertThat(json.get("gatedChangePercent").asDouble()).isBetween(15.0, 50.0);
        assertThat(json.get("changes")).hasSize(7);
    }

    @Test
    void unusableInputExitsTwoWithAClearMessage() throws Exception {
        Path good = write("good.json", 7, 1.0, 1000);
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"stages\": 3}");

        assertThat(run(good.toString(), dir.resolve("nope.json").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("unusable input:", "nope.json: no such file");

        assertThat(run(good.toString(), bad.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("bad.json: stages: missing or empty");

        assertThat(run(good.toString(), good.toString(), "--metric", "ttft_p42")).isEqualTo(2);
        assertThat(err.toString()).contains("metric: ttft_p42 (expected one of");

        assertThat(run(good.toString(), good.toString(), "--threshold", "lots")).isEqualTo(2);
        assertThat(run(good.toString(), good.toString(), "--stage", "c=99")).isEqualTo(2);
        assertThat(err.toString()).contains("no stage named or at load c=99 (stages: steady)");
        assertThat(run(good.toString())).isEqualTo(2); // picocli: missing parameter
    }

    @Test
    void sweepsAreAlsoComparedStageByStage() throws Exception {
        Path base = writeSweep("base.json", 10, 1.0);
        Path cand = writeSweep("cand.json", 20, 1.6); // only the highest level got slower

        int code = run(base.toString(), cand.toString());

        String md = out.toString();
        assertThat(md).contains("### Per stage", "| c=1 |", "| c=8 |", "| c=16 |");
        assertThat(md.lines().filter(l -> l.startsWith("| c=16 |")).findFirst().orElseThrow()).endsWith("| yes |");
        assertThat(md.lines().filter(l -> l.startsWith("| c=1 |")).findFirst().orElseThrow()).endsWith("| no |");
        assertThat(code).isEqualTo(md.contains("❌ REGRESSION") ? 1 : 0);

        out.getBuffer().setLength(0);
        run(base.toString(), cand.toString(), "--format", "json");
        JsonNode json = new ObjectMapper().readTree(out.toString());
        assertThat(json.get("perStage")).hasSize(3);
        assertThat(json.get("perStage").get(2).get("regression").asBoolean()).isTrue();
    }

    @Test
    void thresholdsParseWithOrWithoutPercentSign() {
        assertThat(CompareCommand.parsePercent("15%")).isEqualTo(15);
        assertThat(CompareCommand.parsePercent(" 7.5 % ")).isEqualTo(7.5);
        assertThat(CompareCommand.parsePercent("20")).isEqualTo(20);
    }

    private Path write(String name, long seed, double factor, double tokensPerSec) throws Exception {
        StageResult stage = new StageResult("steady", 16, false, 60, 400, 0, tokensPerSec, 6.6, Double.NaN,
                Double.NaN, histogram(logNormal(seed, 400, 0.3, 0.4, factor)),
                Optional.of(histogram(logNormal(seed + 100, 4000, 0.02, 0.3, 1.0))), Optional.empty());
        Path p = dir.resolve(name);
        Files.writeString(p, new ResultFile("run", LoadMode.CONCURRENCY, List.of(stage)).toJson());
        return p;
    }

    private Path writeSweep(String name, long seed, double slowdownAtSixteen) throws Exception {
        List<StageResult> stages = new java.util.ArrayList<>();
        for (int c : new int[] {1, 8, 16}) {
            double factor = c == 16 ? slowdownAtSixteen : 1.0;
            stages.add(new StageResult("c=" + c, c, false, 30, 300, 0, 100.0 * c, c / 2.0, Double.NaN, Double.NaN,
                    histogram(logNormal(seed + c, 300, 0.3, 0.4, factor)), Optional.empty(), Optional.empty()));
        }
        Path p = dir.resolve(name);
        Files.writeString(p, new ResultFile("sweep", LoadMode.CONCURRENCY, stages).toJson());
        return p;
    }

    private int run(String... args) {
        CommandLine cl = new CommandLine(new CompareCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }
}
