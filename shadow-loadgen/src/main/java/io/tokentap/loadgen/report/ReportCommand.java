package io.tokentap.loadgen.report;

import io.tokentap.loadgen.analysis.KneeCriteria;
import io.tokentap.loadgen.analysis.SlaPolicy;
import io.tokentap.loadgen.analysis.SweepAnalysis;
import io.tokentap.loadgen.analysis.results.ResultFile;
import io.tokentap.loadgen.analysis.results.ResultFormatException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tokentap report RESULT.json --html FILE}: the breaking point, SLA tiers and recommendations of a result,
 * printed, and written as one self-contained HTML file with charts. Exit 0 on success, 2 on unusable input.
 */
@Command(
        name = "report",
        mixinStandardHelpOptions = true,
        description = "Analyses a result (breaking point, SLA tiers, recommendations) and writes an HTML report.")
public final class ReportCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RESULT.json", description = "A result written by sweep, run or replay.")
    Path result;

    @Option(names = "--html", required = true, paramLabel = "FILE", description = "Where to write the report.")
    Path html;

    @Option(names = "--sla-ttft-p95", defaultValue = "500ms", paramLabel = "DURATION",
            description = "The p95 TTFT SLA of the breaking-point criterion, e.g. 500ms or 1.5s (default: ${DEFAULT-VALUE}).")
    String slaTtftP95;

    @Option(names = "--target-rps", paramLabel = "N",
            description = "Size for this many requests/s with Little's law.")
    Double targetRps;

    @Option(names = "--intervals", paramLabel = "FILE",
            description = "The run's HdrHistogram interval log, for the figures over time (default: intervals.hlog"
                    + " beside RESULT.json, when there is one).")
    Path intervals;

    @Option(names = "--limit-fraction", defaultValue = "0.65", paramLabel = "F",
            description = "Share of the saturation throughput the rate limits allow (default: ${DEFAULT-VALUE}).")
    double limitFraction;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            KneeCriteria criteria = KneeCriteria.defaults().withSlaTtftP95Seconds(parseSeconds(slaTtftP95));
            ResultFile file = ResultFile.read(result);
            SweepAnalysis analysis = new ReportWriter(criteria, SlaPolicy.defaults(), limitFraction).write(file, html,
                    targetRps == null ? OptionalDouble.empty() : OptionalDouble.of(targetRps), timeline(err));
            out.print(AnalysisText.curveTable(analysis));
            out.println();
            out.print(AnalysisText.recommendations(analysis));
            out.println("report: " + html);
            out.flush();
            return 0;
        } catch (ResultFormatException | IllegalArgumentException e) {
            err.println("tokentap report: unusable input: " + e.getMessage());
            err.flush();
            return 2;
        } catch (IOException e) {
            err.println("tokentap report: cannot write " + html + ": " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    /** The interval log named by --intervals, or found beside the result; a missing default is no error. */
    private Optional<Timeline> timeline(PrintWriter err) throws ResultFormatException {
        Path log = intervals;
        if (log == null) {
            Path parent = result.toAbsolutePath().getParent();
            Path beside = parent == null ? null : parent.resolve("intervals.hlog");
            if (beside == null || !Files.isRegularFile(beside)) {
                return Optional.empty();
            }
            log = beside;
        }
        try {
            return Optional.of(Timeline.read(log));
        } catch (IOException e) {
            if (intervals != null) {
                throw new ResultFormatException("--intervals " + log + ": " + e.getMessage(), e);
            }
            err.println("tokentap report: no figures over time: " + e.getMessage());
            return Optional.empty();
        }
    }

    /** {@code "500ms"}, {@code "0.5s"} or {@code "2s"}, in seconds. */
    static double parseSeconds(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            double v;
            if (t.endsWith("ms")) {
                v = Double.parseDouble(t.substring(0, t.length() - 2).trim()) / 1000;
            } else if (t.endsWith("s")) {
                v = Double.parseDouble(t.substring(0, t.length() - 1).trim());
            } else {
                throw new NumberFormatException(t);
            }
            if (v > 0 && Double.isFinite(v)) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("duration: " + text + " (expected: e.g. 500ms or 1.5s, > 0)");
    }
}
