package io.tokentap.loadgen.analysis.results;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokentap.loadgen.analysis.LevelSummary;
import io.tokentap.loadgen.analysis.LoadMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.DataFormatException;

/**
 * A result file as the analysis reads it: the run's kind and load mode, and its stages with their latency
 * distributions. Two formats are read: the load generator's own {@code results.json} (schema
 * {@code tokentap.loadgen.results}, see {@code io.tokentap.loadgen.result.ResultsJson}), recognised by its
 * {@code schema} field, and this simpler one (one object; unknown fields are ignored), which other tools can
 * write:
 *
 * <pre>{@code
 * {
 *   "kind": "sweep",                       // "sweep", "run" or "replay"
 *   "mode": "concurrency",                 // or "rate"
 *   "stages": [ {
 *     "name": "c=8", "load": 8, "clientBound": false, "durationSeconds": 20.0,
 *     "requests": 812, "errors": 0, "outputTokensPerSec": 3120.5, "requestsPerSec": 40.6,
 *     "inputTokensPerSec": 9800.0,                       // optional: prompt tokens
 *     "kvCacheUsage": 0.42, "queueDepth": 0,            // optional: the server's own figures
 *     "histograms": {                                    // HdrHistogram compressed V2, base64
 *       "unit": "micros",                                // "nanos", "micros" or "millis"
 *       "ttft": "HISTFAAAA...", "itl": "...", "e2e": "..."
 *     },
 *     "samples": { "ttft": [0.121, 0.134], "itl": [], "e2e": [] }   // or raw samples in seconds
 *   } ]
 * }
 * }</pre>
 *
 * A stage needs a TTFT distribution (a histogram or samples); ITL and E2E are optional.
 */
public record ResultFile(String kind, LoadMode mode, List<StageResult> stages) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public ResultFile {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(mode, "mode");
        stages = List.copyOf(stages);
    }

    public List<LevelSummary> levels() {
        return stages.stream().map(StageResult::toLevelSummary).toList();
    }

    /** The load generator's in-memory result, as the analysis sees it (what sweep, run and replay report on). */
    public static ResultFile of(io.tokentap.loadgen.result.RunResult run) throws ResultFormatException {
        return LoadgenResults.of(run);
    }

    /** Reads and checks a result file; the exception's message names the file and the problem. */
    public static ResultFile read(Path path) throws ResultFormatException {
        String text;
        try {
            text = Files.readString(path);
        } catch (NoSuchFileException e) {
            throw new ResultFormatException(path + ": no such file");
        } catch (IOException e) {
            throw new ResultFormatException(path + ": cannot read (" + e.getMessage() + ")", e);
        }
        try {
            return parse(text);
        } catch (ResultFormatException e) {
            throw new ResultFormatException(path + ": " + e.getMessage(), e);
        }
    }

    /** Parses the JSON text of a result file. */
    public static ResultFile parse(String json) throws ResultFormatException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ResultFormatException("not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new ResultFormatException("expected a JSON object with \"stages\"");
        }
        if (LoadgenResults.isLoadgenSchema(root)) {
            return LoadgenResults.read(root);
        }
        String kind = root.path("kind").asText("run");
        LoadMode mode = switch (root.path("mode").asText("concurrency").toLowerCase(Locale.ROOT)) {
            case "concurrency" -> LoadMode.CONCURRENCY;
            case "rate" -> LoadMode.RATE;
            default -> throw new ResultFormatException("mode: " + root.path("mode").asText()
                    + " (expected: concurrency or rate)");
        };
        JsonNode stagesNode = root.path("stages");
        if (!stagesNode.isArray() || stagesNode.isEmpty()) {
            throw new ResultFormatException("stages: missing or empty (expected: a non-empty array)");
        }
        List<StageResult> stages = new ArrayList<>();
        for (int i = 0; i < stagesNode.size(); i++) {
            try {
                stages.add(stage(stagesNode.get(i), i));
            } catch (IllegalArgumentException e) {
                throw new ResultFormatException("stages[" + i + "]: " + e.getMessage(), e);
            }
        }
        return new ResultFile(kind, mode, stages);
    }

    private static StageResult stage(JsonNode s, int index) throws ResultFormatException {
        String where = "stages[" + index + "]";
        if (!s.path("load").isNumber()) {
            throw new ResultFormatException(where + ".load: missing (expected: a number)");
        }
        double load = s.path("load").asDouble();
        Optional<LatencySamples> ttft = distribution(s, "ttft", where);
        if (ttft.isEmpty() || ttft.get().count() == 0) {
            throw new ResultFormatException(where + ": no TTFT values (expected: histograms.ttft or samples.ttft)");
        }
        return new StageResult(
                s.path("name").asText("load=" + load),
                load,
                s.path("clientBound").asBoolean(false),
                s.path("durationSeconds").asDouble(Double.NaN),
                s.path("requests").asLong(ttft.get().count()),
                s.path("errors").asLong(0),
                s.path("outputTokensPerSec").asDouble(0),
                optionalNumber(s, "inputTokensPerSec"),
                s.path("requestsPerSec").asDouble(0),
                optionalNumber(s, "kvCacheUsage"),
                optionalNumber(s, "queueDepth"),
                ttft.get(),
                distribution(s, "itl", where),
                distribution(s, "e2e", where));
    }

    private static double optionalNumber(JsonNode s, String field) {
        JsonNode n = s.path(field);
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }

    private static Optional<LatencySamples> distribution(JsonNode stage, String metric, String where)
            throws ResultFormatException {
        JsonNode h = stage.path("histograms");
        if (h.path(metric).isTextual()) {
            double secondsPerUnit = unit(h.path("unit").asText("micros"), where);
            try {
                return Optional.of(HistogramLatencySamples.decode(h.path(metric).asText(), secondsPerUnit));
            } catch (DataFormatException | IllegalArgumentException | java.nio.BufferUnderflowException e) {
                throw new ResultFormatException(where + ".histograms." + metric
                        + ": not a base64 compressed HdrHistogram (" + e.getMessage() + ")", e);
            }
        }
        JsonNode samples = stage.path("samples").path(metric);
        if (samples.isArray()) {
            double[] values = new double[samples.size()];
            for (int i = 0; i < values.length; i++) {
                if (!samples.get(i).isNumber()) {
                    throw new ResultFormatException(where + ".samples." + metric + "[" + i + "]: "
                            + samples.get(i) + " (expected: seconds as a number)");
                }
                values[i] = samples.get(i).asDouble();
            }
            try {
                return Optional.of(new ArrayLatencySamples(values));
            } catch (IllegalArgumentException e) {
                throw new ResultFormatException(where + ".samples." + metric + ": " + e.getMessage(), e);
            }
        }
        return Optional.empty();
    }

    private static double unit(String unit, String where) throws ResultFormatException {
        return switch (unit) {
            case "nanos" -> 1e-9;
            case "micros" -> 1e-6;
            case "millis" -> 1e-3;
            default -> throw new ResultFormatException(where + ".histograms.unit: " + unit
                    + " (expected: nanos, micros or millis)");
        };
    }

    /** Writes this result in the format {@link #parse} reads (histograms as HdrHistogram encodings). */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("kind", kind);
        root.put("mode", mode.name().toLowerCase(Locale.ROOT));
        ArrayNode arr = root.putArray("stages");
        for (StageResult s : stages) {
            ObjectNode n = arr.addObject();
            n.put("name", s.name());
            n.put("load", s.load());
            n.put("clientBound", s.clientBound());
            if (!Double.isNaN(s.durationSeconds())) {
                n.put("durationSeconds", s.durationSeconds());
            }
            n.put("requests", s.requests());
            n.put("errors", s.errors());
            n.put("outputTokensPerSec", s.outputTokensPerSec());
            n.put("requestsPerSec", s.requestsPerSec());
            if (!Double.isNaN(s.inputTokensPerSec())) {
                n.put("inputTokensPerSec", s.inputTokensPerSec());
            }
            if (!Double.isNaN(s.kvCacheUsage())) {
                n.put("kvCacheUsage", s.kvCacheUsage());
            }
            if (!Double.isNaN(s.queueDepth())) {
                n.put("queueDepth", s.queueDepth());
            }
            writeDistribution(n, "ttft", s.ttft());
            s.itl().ifPresent(d -> writeDistribution(n, "itl", d));
            s.e2e().ifPresent(d -> writeDistribution(n, "e2e", d));
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    private static void writeDistribution(ObjectNode stage, String metric, LatencySamples d) {
        if (d instanceof HistogramLatencySamples h) {
            ObjectNode histograms = stage.has("histograms")
                    ? (ObjectNode) stage.get("histograms") : stage.putObject("histograms");
            String unit = h.secondsPerUnit() == 1e-9 ? "nanos" : h.secondsPerUnit() == 1e-3 ? "millis" : "micros";
            if (histograms.has("unit") && !histograms.get("unit").asText().equals(unit)) {
                throw new IllegalArgumentException("histograms of one stage must share a unit");
            }
            histograms.put("unit", unit);
            histograms.put(metric, h.encodeBase64());
        } else {
            ObjectNode samples = stage.has("samples") ? (ObjectNode) stage.get("samples") : stage.putObject("samples");
            ArrayNode a = samples.putArray(metric);
            for (double v : d.values(Integer.MAX_VALUE - 8)) {
                a.add(v);
            }
        }
    }
}
