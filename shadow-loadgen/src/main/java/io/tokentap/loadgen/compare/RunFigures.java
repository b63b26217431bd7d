package io.tokentap.loadgen.compare;

import io.tokentap.loadgen.analysis.results.LatencySamples;
import io.tokentap.loadgen.analysis.results.ResultFile;
import io.tokentap.loadgen.analysis.results.ResultFormatException;
import io.tokentap.loadgen.analysis.results.StageResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What one side of a comparison contributes: its TTFT and ITL distributions and its output-token throughput,
 * gathered from the chosen stages of a result file (histograms are added, never percentiles averaged).
 *
 * @param ttft time to first token
 * @param itl inter-token latency, when every chosen stage recorded it
 * @param outputTokensPerSec output tokens per second (duration-weighted over the stages)
 * @param stages the names of the stages used
 */
public record RunFigures(LatencySamples ttft, Optional<LatencySamples> itl, double outputTokensPerSec, String stages) {

    public RunFigures {
        Objects.requireNonNull(ttft, "ttft");
        Objects.requireNonNull(itl, "itl");
        Objects.requireNonNull(stages, "stages");
    }

    /**
     * The figures of one stage (matched by name or load, e.g. {@code "c=16"} or {@code "16"}), or, when
     * {@code stage} is empty, of every stage not marked client-bound, merged.
     */
    public static RunFigures from(ResultFile file, Optional<String> stage) throws ResultFormatException {
        List<StageResult> chosen = new ArrayList<>();
        for (StageResult s : file.stages()) {
            if (stage.isPresent() ? matches(s, stage.get()) : !s.clientBound()) {
                chosen.add(s);
            }
        }
        if (chosen.isEmpty()) {
            throw new ResultFormatException(stage.map(n -> "no stage named or at load " + n + " (stages: "
                    + file.stages().stream().map(StageResult::name).collect(Collectors.joining(", ")) + ")")
                    .orElse("every stage is client-bound: nothing measured the server"));
        }
        LatencySamples ttft = chosen.get(0).ttft();
        Optional<LatencySamples> itl = chosen.get(0).itl();
        double weighted = 0;
        double weights = 0;
        for (int i = 0; i < chosen.size(); i++) {
            StageResult s = chosen.get(i);
            if (i > 0) {
                ttft = ttft.merge(s.ttft());
                itl = itl.isPresent() && s.itl().isPresent()
                        ? Optional.of(itl.get().merge(s.itl().get())) : Optional.empty();
            }
            double w = s.durationSeconds() > 0 ? s.durationSeconds() : 1;
            weighted += w * s.outputTokensPerSec();
            weights += w;
        }
        String names = chosen.stream().map(StageResult::name).collect(Collectors.joining(", "));
        return new RunFigures(ttft, itl, weighted / weights, names);
    }

    private static boolean matches(StageResult s, String wanted) {
        if (s.name().equals(wanted)) {
            return true;
        }
        try {
            return Double.parseDouble(wanted) == s.load();
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
