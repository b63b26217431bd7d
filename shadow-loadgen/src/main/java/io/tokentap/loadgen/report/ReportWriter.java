package io.tokentap.loadgen.report;

import io.tokentap.loadgen.analysis.KneeCriteria;
import io.tokentap.loadgen.analysis.Recommender;
import io.tokentap.loadgen.analysis.SlaPolicy;
import io.tokentap.loadgen.analysis.SweepAnalysis;
import io.tokentap.loadgen.analysis.results.ResultFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Analyses a result and writes its HTML report: what {@code report} does, for {@code sweep}, {@code run} and
 * {@code replay} to call when they finish.
 *
 * <pre>{@code
 * SweepAnalysis a = new ReportWriter(KneeCriteria.defaults(), SlaPolicy.defaults(), 0.65)
 *         .write(ResultFile.of(runResult), out.resolve("report.html"), OptionalDouble.empty());
 * System.out.println(a.knee().describe());
 * }</pre>
 */
public final class ReportWriter {

    private final KneeCriteria criteria;
    private final Recommender recommender;

    public ReportWriter(KneeCriteria criteria, SlaPolicy sla, double limitFraction) {
        this.criteria = Objects.requireNonNull(criteria, "criteria");
        this.recommender = new Recommender(criteria, sla, limitFraction);
    }

    public static ReportWriter defaults() {
        return new ReportWriter(KneeCriteria.defaults(), SlaPolicy.defaults(), 0.65);
    }

    /** Analyses {@code result} without writing anything. */
    public SweepAnalysis analyze(ResultFile result, OptionalDouble targetRequestsPerSec) {
        return recommender.analyze(result.levels(), result.mode(), targetRequestsPerSec);
    }

    /** Analyses {@code result}, writes the report to {@code html} (creating its directory) and returns the analysis. */
    public SweepAnalysis write(ResultFile result, Path html, OptionalDouble targetRequestsPerSec) throws IOException {
        return write(result, html, targetRequestsPerSec, Optional.empty());
    }

    /** As {@link #write(ResultFile, Path, OptionalDouble)}, with the figures over time of an interval log. */
    public SweepAnalysis write(ResultFile result, Path html, OptionalDouble targetRequestsPerSec,
            Optional<Timeline> timeline) throws IOException {
        SweepAnalysis analysis = analyze(result, targetRequestsPerSec);
        HtmlReport report = new HtmlReport(result.kind(), result.stages(), analysis, criteria);
        timeline.ifPresent(report::timeline);
        String page = report.render();
        Path parent = html.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(html, page);
        return analysis;
    }
}
