package io.tokentap.loadgen.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(20)
class ReportCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void writesTheReportAndPrintsTheBreakingPoint() throws Exception {
        Path result = dir.resolve("results.json");
        Files.writeString(result, SyntheticSweep.result().toJson());
        Path html = dir.resolve("out/report.html");

        assertThat(run(result.toString(), "--html", html.toString(), "--target-rps", "40")).isZero();

        assertThat(out.toString()).startsWith("concurrency ").contains("\n48 <- knee ")
                .contains("\nbreaking point at load 48: KV cache saturated", "limits:", "operating point: 33-38",
                        "report: " + html);
        assertThat(Files.readString(html)).startsWith("<!DOCTYPE html>").contains("TTFT hockey stick");
    }

    @Test
    void aStricterSlaMovesTheBreakingPoint() throws Exception {
        Path result = dir.resolve("results.json");
        Files.writeString(result, SyntheticSweep.result().toJson());
        // p95 TTFT is ~130 ms up to 32 streams: a 100 ms SLA breaks at the first level.
        assertThat(run(result.toString(), "--html", dir.resolve("r.html").toString(), "--sla-ttft-p95", "100ms"))
                .isZero();
        assertThat(out.toString()).contains("\nbreaking point at load 1: p95 TTFT over SLA");
    }

    @Test
    void unusableInputExitsTwo() throws Exception {
        assertThat(run(dir.resolve("missing.json").toString(), "--html", dir.resolve("r.html").toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("unusable input:", "missing.json: no such file");
        Path result = dir.resolve("results.json");
        Files.writeString(result, SyntheticSweep.result().toJson());
        assertThat(run(result.toString(), "--html", dir.resolve("r.html").toString(), "--sla-ttft-p95", "fast"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("duration: fast (expected: e.g. 500ms or 1.5s, > 0)");
        assertThat(Files.exists(dir.resolve("r.html"))).isFalse();
    }

    @Test
    void durationsParse() {
        assertThat(ReportCommand.parseSeconds("500ms")).isEqualTo(0.5);
        assertThat(ReportCommand.parseSeconds("1.5s")).isEqualTo(1.5);
        assertThatThrownBy(() -> ReportCommand.parseSeconds("0s")).isInstanceOf(IllegalArgumentException.class);
    }

    private int run(String... args) {
        CommandLine cl = new CommandLine(new ReportCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }
}
