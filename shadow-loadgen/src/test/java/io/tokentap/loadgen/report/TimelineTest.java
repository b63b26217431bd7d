package io.tokentap.loadgen.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.tokentap.loadgen.analysis.results.ResultFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalDouble;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(20)
class TimelineTest {

    @TempDir
    Path dir;

    /** Two stages of three 1-second intervals each; TTFT doubles in the second stage, 10 then 20 requests/s. */
    static Path writeLog(Path file) throws IOException {
        HistogramLogWriter w = new HistogramLogWriter(file.toFile());
        long base = 1_795_000_000_000L;
        w.setBaseTime(base);
        w.outputLogFormatVersion();
        w.outputStartTime(base);
        w.outputBaseTime(base);
        w.outputLegend();
        for (int i = 0; i < 6; i++) {
            String stage = i < 3 ? "s1" : "s2";
            long ttftMicros = i < 3 ? 100_000 : 200_000;
            Histogram ttft = new Histogram(3);
            ttft.recordValueWithCount(ttftMicros, i < 3 ? 10 : 20);
            ttft.setStartTimeStamp(base + 1000L * i);
            ttft.setEndTimeStamp(base + 1000L * (i + 1));
            ttft.setTag(stage + ".ttft");
            w.outputIntervalHistogram(ttft);
            Histogram e2e = new Histogram(3);
            e2e.recordValueWithCount(900_000, i < 3 ? 10 : 20);
            // Each recorder stamps its own interval: a few milliseconds apart from the TTFT one.
            e2e.setStartTimeStamp(base + 1000L * i + 3);
            e2e.setEndTimeStamp(base + 1000L * (i + 1) + 4);
            e2e.setTag(stage + ".e2e");
            w.outputIntervalHistogram(e2e);
            Histogram other = new Histogram(3);
            other.recordValue(5);
            other.setStartTimeStamp(base + 1000L * i);
            other.setEndTimeStamp(base + 1000L * (i + 1));
            other.setTag(stage + ".service_ttft");
            w.outputIntervalHistogram(other);
        }
        w.close();
        return file;
    }

    @Test
    void readsTtftAndThroughputPerInterval() throws Exception {
        Timeline t = Timeline.read(writeLog(dir.resolve("intervals.hlog")));

        assertThat(t.size()).isEqualTo(6);
        assertThat(t.seconds()).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(t.ttftP50Millis()[0]).isCloseTo(100, within(0.1));
        assertThat(t.ttftP99Millis()[5]).isCloseTo(200, within(0.2));
        assertThat(t.requestsPerSec()).containsExactly(10, 10, 10, 20, 20, 20);
    }

    @Test
    void theReportShowsTheFiguresOverTime() throws Exception {
        Path log = writeLog(dir.resolve("intervals.hlog"));
        Path result = dir.resolve("results.json");
        Files.writeString(result, SyntheticSweep.result().toJson());
        Path html = dir.resolve("report.html");

        CommandLine cl = new CommandLine(new ReportCommand());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        assertThat(cl.execute(result.toString(), "--html", html.toString())).as(err.toString()).isZero();

        String page = Files.readString(html);
        assertThat(page).contains("Over time", "TTFT over time", "Completed requests over time", "seconds since start");
        assertThat(page.split("<svg ", -1)).hasSize(1 + 8);

        // Without a log beside the result, no section; a named log that is missing is unusable input.
        Files.delete(log);
        assertThat(cl.execute(result.toString(), "--html", html.toString())).isZero();
        assertThat(Files.readString(html)).doesNotContain("Over time");
        assertThat(cl.execute(result.toString(), "--html", html.toString(), "--intervals", log.toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--intervals");
    }

    @Test
    void aFileThatIsNotAnIntervalLogIsAnError() throws Exception {
        Path bad = dir.resolve("bad.hlog");
        Files.writeString(bad, "Tag=s1.ttft,0.0,1.0,1.0,not-base64!!\n");
        assertThatThrownBy(() -> Timeline.read(bad)).isInstanceOf(IOException.class);
    }

    @Test
    void timeIsALinearAxis() throws Exception {
        Timeline t = Timeline.read(writeLog(dir.resolve("intervals.hlog")));
        ResultFile file = SyntheticSweep.result();
        String page = ReportWriter.defaults().write(file, dir.resolve("r.html"), OptionalDouble.empty(),
                java.util.Optional.of(t)).knee().describe();
        assertThat(page).startsWith("breaking point at load 48");
        // Time runs on a linear axis even though it spans more than a factor of 8.
        assertThat(Files.readString(dir.resolve("r.html"))).contains("TTFT over time", "seconds since start</text>")
                .doesNotContain("seconds since start (log scale)");
    }
}
