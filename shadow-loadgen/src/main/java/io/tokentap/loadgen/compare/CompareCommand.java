package io.tokentap.loadgen.compare;

import io.tokentap.loadgen.analysis.results.ResultFile;
import io.tokentap.loadgen.analysis.results.ResultFormatException;
import io.tokentap.loadgen.analysis.results.StageResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
        List<Comparison> perStage = new ArrayList<>();
        try {
            RegressionGate gate = new RegressionGate(GateMetric.parse(metric), parsePercent(threshold), alpha);
            Optional<String> selected = Optional.ofNullable(stage);
            ResultFile baseFile = ResultFile.read(baseline);
            ResultFile candFile = ResultFile.read(candidate);
            c = gate.compare(figures(baseline, baseFile, selected), figures(candidate, candFile, selected));
            if (selected.isEmpty() && baseFile.stages().size() > 1 && candFile.stages().size() > 1) {
                perStage = perStage(gate, baseFile, candFile);
            }
        } catch (ResultFormatException | IllegalArgumentException e) {
            err.println("tokentap compare: unusable input: " + e.getMessage());
            err.flush();
            return EXIT_UNUSABLE;
        }
        out.print(format == Format.JSON
                ? ComparisonFormatter.json(c, perStage) : ComparisonFormatter.markdown(c, perStage));
        out.flush();
        return c.verdict() == Comparison.Verdict.REGRESSION ? EXIT_REGRESSION : 0;
    }

    /**
     * The same comparison for each stage both results ran (matched by name, client-bound ones left out), for the
     * reader: the verdict stays with the chosen stages as a whole, so that many stages do not multiply the chance
     * of a false alarm.
     */
    private static List<Comparison> perStage(RegressionGate gate, ResultFile base, ResultFile cand) {
        List<Comparison> out = new ArrayList<>();
        for (StageResult b : base.stages()) {
            Optional<StageResult> c = cand.stages().stream().filter(s -> s.name().equals(b.name())).findFirst();
            if (b.clientBound() || c.isEmpty() || c.get().clientBound()) {
                continue;
            }
            try {
                out.add(gate.compare(RunFigures.from(base, Optional.of(b.name())),
                        RunFigures.from(cand, Optional.of(b.name()))));
            } catch (ResultFormatException e) {
                // Too few values in this stage to compare: it is left out of the per-stage table.
            }
        }
        return out;
    }

    private static RunFigures figures(Path path, ResultFile file, Optional<String> stage)
            throws ResultFormatException {
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
