package io.tokentap.loadgen.compare;

import io.tokentap.loadgen.analysis.results.ResultFile;
import io.tokentap.loadgen.analysis.results.ResultFormatException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code tokentap compare BASELINE.json CANDIDATE.json}: the regression gate for CI. Exit code 1 on a regression,
 * 0 otherwise, 2 when an input cannot be used.
 */
@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        description = {
            "Compares two results statistically and fails on a regression.",
            "REGRESSION when Welch's t-test on log latency and the Mann-Whitney U test both give p < alpha AND the"
                    + " gated figure got worse by more than the threshold.",
            "Exit codes: 0 no regression, 1 regression, 2 unusable input."
        })
public final class CompareCommand implements Callable<Integer> {

    /** Exit code when the candidate regressed. */
    public static final int EXIT_REGRESSION = 1;
    /** Exit code when an input could not be used. */
    public static final int EXIT_UNUSABLE = 2;

    /** Output formats. */
    public enum Format {
        MARKDOWN,
        JSON
    }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "BASELINE.json", description = "The reference result.")
    Path baseline;

    @Parameters(index = "1", paramLabel = "CANDIDATE.json", description = "The result to judge.")
    Path candidate;

    @Option(names = "--threshold", defaultValue = "15%", paramLabel = "PERCENT",
            description = "Change of the gated figure that counts as a regression, e.g. 15%% (default: ${DEFAULT-VALUE}).")
    String threshold;

    @Option(names = "--metric", defaultValue = "ttft_p95", paramLabel = "METRIC",
            description = "Gated figure: ttft_p50|ttft_p95|ttft_p99|itl_p50|itl_p95|itl_p99 (default: ${DEFAULT-VALUE}).")
    String metric;

    @Option(names = "--alpha", defaultValue = "0.05", description = "Significance level (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--stage", paramLabel = "NAME|LOAD",
            description = "Compare one stage (by name or load); default: all stages that are not client-bound.")
    String stage;

    @Option(names = "--format", defaultValue = "markdown", paramLabel = "FORMAT",
            description = "markdown or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Comparison c;
        try {
            RegressionGate gate = new RegressionGate(GateMetric.parse(metric), parsePercent(threshold), alpha);
            Optional<String> selected = Optional.ofNullable(stage);
            RunFigures base = figures(baseline, selected);
            RunFigures cand = figures(candidate, selected);
            c = gate.compare(base, cand);
        } catch (ResultFormatException | IllegalArgumentException e) {
            err.println("tokentap compare: unusable input: " + e.getMessage());
            err.flush();
            return EXIT_UNUSABLE;
        }
        out.print(format == Format.JSON ? ComparisonFormatter.json(c) : ComparisonFormatter.markdown(c));
        out.flush();
        return c.verdict() == Comparison.Verdict.REGRESSION ? EXIT_REGRESSION : 0;
    }

    private static RunFigures figures(Path path, Optional<String> stage) throws ResultFormatException {
        ResultFile file = ResultFile.read(path);
        try {
            return RunFigures.from(file, stage);
        } catch (ResultFormatException e) {
            throw new ResultFormatException(path + ": " + e.getMessage(), e);
        }
    }

    /** {@code "15%"}, {@code "15"} and {@code "15.5 %"} all mean that many percent. */
    static double parsePercent(String text) {
        String t = text.trim();
        if (t.endsWith("%")) {
            t = t.substring(0, t.length() - 1).trim();
        }
        try {
            double v = Double.parseDouble(t);
            if (v >= 0 && Double.isFinite(v)) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("threshold: " + text + " (expected: a percentage >= 0, e.g. 15%)");
    }
}
