package io.tokentap.loadgen.analysis.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.loadgen.analysis.LoadMode;
import io.tokentap.loadgen.result.LoadMetric;
import io.tokentap.loadgen.result.RequestOutcome;
import io.tokentap.loadgen.result.ResultsJson;
import io.tokentap.loadgen.result.RunResult;
import io.tokentap.loadgen.result.StageStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the load generator's own {@code results.json} (schema {@value ResultsJson#SCHEMA}) into a
 * {@link ResultFile}: its exact histograms (µs) become {@link HistogramLatencySamples}, the stage's load label
 * ({@code c=32}, {@code r=12.5/s}, {@code c=1→32}) its numeric load, and the server figures it sampled the KV-cache
 * usage and queue depth.
 */
final class LoadgenResults {

    private static final Pattern CONCURRENCY = Pattern.compile("c=(?:[0-9.]+→)?([0-9.]+)");
    private static final Pattern RATE = Pattern.compile("r=(?:[0-9.]+→)?([0-9.]+)/s");

    /**
     * Server figure keys (from the load generator's server sampler), in order of preference. The criterion is "KV
     * usage reaches 95% while the queue grows": reaching is the stage's peak, growing is the typical queue rising
     * from level to level, so the peak KV usage and the mean queue depth.
     */
    private static final List<String> KV_KEYS =
            List.of("kv_cache_usage_max", "kv_cache_usage", "kv_cache_usage_mean");
    private static final List<String> QUEUE_KEYS = List.of("queue_depth_mean", "queue_depth", "queue_depth_max",
            "requests_waiting_mean", "requests_waiting", "requests_waiting_max");

    private LoadgenResults() {}

    static boolean isLoadgenSchema(JsonNode root) {
        return ResultsJson.SCHEMA.equals(root.path("schema").asText());
    }

    static ResultFile read(JsonNode root) throws ResultFormatException {
        RunResult run;
        try {
            run = new ResultsJson(new ObjectMapper()).fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new ResultFormatException(e.getMessage(), e);
        }
        return of(run);
    }

    static ResultFile of(RunResult run) throws ResultFormatException {
        if (run.stages().isEmpty()) {
            throw new ResultFormatException("stages: missing or empty (expected: a non-empty array)");
        }
        String mode = run.info().get("mode");
        boolean rate = mode != null
                ? mode.equalsIgnoreCase("rate")
                : run.stages().stream().anyMatch(s -> RATE.matcher(s.load()).matches());
        List<StageResult> stages = new ArrayList<>();
        for (int i = 0; i < run.stages().size(); i++) {
            StageStats s = run.stages().get(i);
            String where = "stages[" + i + "] (" + s.name() + ")";
            if (s.histogram(LoadMetric.TTFT).getTotalCount() == 0) {
                throw new ResultFormatException(where + ": no TTFT values (expected: at least one request that"
                        + " produced a token)");
            }
            // Dropped requests were never sent: a client-side limit, not a server error.
            long dropped = s.count(RequestOutcome.DROPPED);
            try {
                stages.add(new StageResult(
                        s.name(),
                        s.level() > 0 ? s.level() : load(s.load(), i),
                        s.clientBound(),
                        s.durationSeconds(),
                        s.requests() - dropped,
                        s.errors() - dropped,
                        s.outputTokensPerSecond(),
                        // No prompt tokens at all means the server did not report usage, not empty prompts.
                        s.inputTokens() > 0 && s.durationSeconds() > 0
                                ? s.inputTokens() / s.durationSeconds() : Double.NaN,
                        s.requestsPerSecond(),
                        kvFraction(first(s.server(), KV_KEYS)),
                        first(s.server(), QUEUE_KEYS),
                        micros(s, LoadMetric.TTFT).orElseThrow(),
                        micros(s, LoadMetric.ITL),
                        micros(s, LoadMetric.E2E)));
            } catch (IllegalArgumentException e) {
                throw new ResultFormatException(where + ": " + e.getMessage(), e);
            }
        }
        String kind = run.info().getOrDefault("kind", run.info().containsKey("sweep") ? "sweep" : "run");
        return new ResultFile(kind, rate ? LoadMode.RATE : LoadMode.CONCURRENCY, stages);
    }

    /** The peak of a load label ({@code c=1→32} is 32); stages without one (replay) are numbered from 1. */
    static double load(String label, int index) {
        for (Pattern p : List.of(CONCURRENCY, RATE)) {
            Matcher m = p.matcher(label.trim());
            if (m.matches()) {
                double v = Double.parseDouble(m.group(1));
                if (v > 0) {
                    return v;
                }
            }
        }
        try {
            double v = Double.parseDouble(label.trim());
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // not a bare number either: fall back to the stage's position
        }
        return index + 1;
    }

    private static Optional<LatencySamples> micros(StageStats s, LoadMetric m) {
        return s.histogram(m).getTotalCount() == 0
                ? Optional.empty()
                : Optional.of(new HistogramLatencySamples(s.histogram(m), 1e-6));
    }

    private static double first(Map<String, Double> server, List<String> keys) {
        for (String k : keys) {
            Double v = server.get(k);
            if (v != null && !v.isNaN()) {
                return v;
            }
        }
        return Double.NaN;
    }

    /** Some servers report KV usage in per cent: anything above 1 is taken as such. */
    private static double kvFraction(double v) {
        return v > 1 ? v / 100 : v;
    }
}
