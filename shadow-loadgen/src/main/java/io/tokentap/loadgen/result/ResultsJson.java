package io.tokentap.loadgen.result;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokentap.loadgen.config.Durations;
import io.tokentap.core.timeline.Slo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * Writes and reads {@code results.json}. Schema {@value #SCHEMA} version {@value #VERSION} (see docs/loadgen.md):
 * per stage and for the run, the summary figures a reader wants (percentiles in ms, rates, error shares) and the
 * exact data they came from: counters by outcome, token sums, duration, and each histogram's compressed
 * HdrHistogram encoding in base64 (values in µs), so shard results can be merged exactly. Reading uses only the exact
 * data; summaries are recomputed.
 */
public final class ResultsJson {

    public static final String SCHEMA = "tokentap.loadgen.results";
    public static final int VERSION = 1;
    private static final double[] PERCENTILES = {50, 90, 95, 99, 99.9};

    private final ObjectMapper mapper;

    public ResultsJson(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public void write(RunResult r, Path file) throws IOException {
        mapper.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), toJson(r));
    }

    public ObjectNode toJson(RunResult r) {
        ObjectNode root = mapper.createObjectNode();
        root.put("schema", SCHEMA);
        root.put("version", VERSION);
        root.put("histogram_unit", "microseconds");
        // "kind", "mode" and the camelCase stage fields let the sweep analysis read a run's results directly.
        root.put("kind", r.info().getOrDefault("kind", "run"));
        root.put("mode", r.info().getOrDefault("mode", "concurrency"));
        root.put("partial", r.partial());
        root.put("stop_reason", r.stopReason());
        ObjectNode info = root.putObject("info");
        r.info().forEach(info::put);
        ObjectNode slo = root.putObject("slo");
        putDuration(slo, "ttft", r.slo().ttft());
        putDuration(slo, "tpot", r.slo().tpot());
        putDuration(slo, "e2e", r.slo().e2e());
        putDuration(slo, "max_stall", r.slo().maxStall());
        ObjectNode pricing = root.putObject("pricing");
        pricing.put("input_per_million", r.pricing().inputPerMillion());
        pricing.put("output_per_million", r.pricing().outputPerMillion());
        var stages = root.putArray("stages");
        for (StageStats s : r.stages()) {
            stages.add(stage(s, r.pricing()));
        }
        root.set("run", stage(r.total(), r.pricing()));
        if (!r.warmups().isEmpty()) {
            // Requests sent during the stages' warm-ups: not in any stage's figures, kept so that every request
            // sent is accounted for (a proxy in front of the target saw them too).
            var warmups = root.putArray("warmups");
            for (StageStats s : r.warmups()) {
                warmups.add(stage(s, r.pricing()));
            }
        }
        return root;
    }

    private static void putDuration(ObjectNode n, String k, Duration d) {
        if (d != null) {
            n.put(k, Durations.format(d));
        }
    }

    private ObjectNode stage(StageStats s, RunResult.Pricing pricing) {
        ObjectNode n = mapper.createObjectNode();
        n.put("name", s.name());
        n.put("type", s.type());
        n.put("load", s.level());
        n.put("load_label", s.load());
        n.put("duration_s", s.durationSeconds());
        n.put("durationSeconds", s.durationSeconds());
        n.put("client_bound", s.clientBound());
        n.put("clientBound", s.clientBound());
        if (s.clientBound()) {
            n.put("client_bound_reason", s.clientBoundReason());
        }
        if (s.clientCpuSeconds() >= 0) {
            n.put("client_cpu_s", round(s.clientCpuSeconds()));
        }
        n.put("requests", s.requests());
        n.put("errors", s.errors());
        n.put("requestsPerSec", round(s.requestsPerSecond()));
        n.put("outputTokensPerSec", round(s.outputTokensPerSecond()));
        ObjectNode counts = n.putObject("outcomes");
        for (RequestOutcome o : RequestOutcome.values()) {
            counts.put(o.key(), s.count(o));
        }
        ObjectNode tokens = n.putObject("tokens");
        tokens.put("input", s.inputTokens());
        tokens.put("output", s.outputTokens());
        tokens.put("cached", s.cachedTokens());
        n.put("good_requests", s.goodRequests());
        ObjectNode summary = n.putObject("summary");
        summary.put("requests_per_s", round(s.requestsPerSecond()));
        summary.put("output_tokens_per_s", round(s.outputTokensPerSecond()));
        summary.put("goodput_per_s", round(s.goodputPerSecond()));
        summary.put("goodput_pct", round(s.goodputPercent()));
        summary.put("error_pct", round(s.errorPercent()));
        if (pricing.isSet()) {
            summary.put("cost_per_request", Math.round(pricing.costPerRequest(s) * 1e8) / 1e8);
        }
        summary.put("ttft_p99_p50", round(s.tailRatio(LoadMetric.TTFT)));
        summary.put("e2e_p99_p50", round(s.tailRatio(LoadMetric.E2E)));
        for (LoadMetric m : LoadMetric.values()) {
            Histogram h = s.histogram(m);
            ObjectNode ms = summary.putObject(m.key() + "_ms");
            ms.put("count", h.getTotalCount());
            if (h.getTotalCount() > 0) {
                ms.put("mean", round(h.getMean() / 1000));
                for (double p : PERCENTILES) {
                    ms.put("p" + (p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p)), round(h.getValueAtPercentile(p) / 1000.0));
                }
                ms.put("max", round(h.getMaxValue() / 1000.0));
            }
        }
        if (!s.server().isEmpty()) {
            ObjectNode server = n.putObject("server");
            s.server().forEach(server::put);
            if (s.server().containsKey("kv_cache_usage_max")) {
                n.put("kvCacheUsage", s.server().get("kv_cache_usage_max"));
            }
            if (s.server().containsKey("queue_depth_max")) {
                n.put("queueDepth", s.server().get("queue_depth_max"));
            }
        }
        ObjectNode hist = n.putObject("histograms");
        hist.put("unit", "micros");
        for (LoadMetric m : LoadMetric.values()) {
            hist.put(m.key(), encode(s.histogram(m)));
        }
        if (s.chainTokens().getTotalCount() > 0 || s.chainsIncomplete() > 0) {
            ObjectNode chains = n.putObject("chains");
            Histogram t = s.chainTokens();
            chains.put("complete", t.getTotalCount());
            chains.put("incomplete", s.chainsIncomplete());
            if (t.getTotalCount() > 0) {
                chains.put("tokens_p50", t.getValueAtPercentile(50));
                chains.put("tokens_p99", t.getValueAtPercentile(99));
                chains.put("tokens_max", t.getMaxValue());
            }
            chains.put("tokens", encode(t));
        }
        if (s.classes().size() > 1) {
            ObjectNode classes = n.putObject("classes");
            s.classes().forEach((k, v) -> classes.set(k, stage(v, pricing)));
        }
        return n;
    }

    private static double round(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return 0;
        }
        return Math.round(v * 1000) / 1000.0;
    }

    /** A histogram's compressed encoding in base64. */
    public static String encode(Histogram h) {
        ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int len = h.encodeIntoCompressedByteBuffer(buf);
        byte[] bytes = new byte[len];
        buf.flip();
        buf.get(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    public static Histogram decode(String base64) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 1);
        } catch (DataFormatException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a compressed HdrHistogram: " + e.getMessage(), e);
        }
    }

    public RunResult read(Path file) throws IOException {
        return fromJson(mapper.readTree(file.toFile()));
    }

    public RunResult fromJson(JsonNode root) {
        if (!SCHEMA.equals(root.path("schema").asText())) {
            throw new IllegalArgumentException("schema: '" + root.path("schema").asText() + "' (expected: " + SCHEMA + ")");
        }
        int v = root.path("version").asInt(-1);
        if (v < 1 || v > VERSION) {
            throw new IllegalArgumentException("version: " + v + " (expected: 1.." + VERSION + ")");
        }
        RunResult r = new RunResult();
        for (Map.Entry<String, JsonNode> e : root.path("info").properties()) {
            r.info().put(e.getKey(), e.getValue().asText());
        }
        JsonNode slo = root.path("slo");
        r.slo(new Slo(dur(slo, "ttft"), dur(slo, "tpot"), dur(slo, "e2e"), dur(slo, "max_stall")));
        r.stopped(root.path("partial").asBoolean(), root.path("stop_reason").asText(""));
        JsonNode pricing = root.path("pricing");
        r.pricing(new RunResult.Pricing(pricing.path("input_per_million").asDouble(0),
                pricing.path("output_per_million").asDouble(0)));
        for (JsonNode s : root.path("stages")) {
            r.stages().add(readStage(s));
        }
        for (JsonNode s : root.path("warmups")) {
            r.warmups().add(readStage(s));
        }
        return r;
    }

    private static Duration dur(JsonNode n, String k) {
        return n.hasNonNull(k) ? Durations.parse(n.get(k).asText()) : null;
    }

    private static StageStats readStage(JsonNode n) {
        StageStats s = new StageStats(n.path("name").asText(), n.path("type").asText(), n.path("load_label").asText(),
                n.path("load").asDouble());
        s.durationSeconds(n.path("duration_s").asDouble());
        s.clientBound(n.path("client_bound").asBoolean(), n.path("client_bound_reason").asText(""));
        s.clientCpuSeconds(n.path("client_cpu_s").asDouble(-1));
        for (RequestOutcome o : RequestOutcome.values()) {
            s.addCount(o, n.path("outcomes").path(o.key()).asLong());
        }
        JsonNode t = n.path("tokens");
        s.addTokens(t.path("input").asLong(), t.path("output").asLong(), t.path("cached").asLong());
        s.addGood(n.path("good_requests").asLong());
        for (LoadMetric m : LoadMetric.values()) {
            JsonNode h = n.path("histograms").get(m.key());
            if (h != null) {
                s.histogram(m).add(decode(h.asText()));
            }
        }
        for (Map.Entry<String, JsonNode> e : n.path("server").properties()) {
            s.server().put(e.getKey(), e.getValue().asDouble());
        }
        JsonNode chains = n.path("chains");
        if (chains.path("tokens").isTextual()) {
            s.chainTokens().add(decode(chains.get("tokens").asText()));
        }
        s.addChainsIncomplete(chains.path("incomplete").asLong(0));
        for (Map.Entry<String, JsonNode> e : n.path("classes").properties()) {
            StageStats c = readStage(e.getValue());
            s.classes().put(e.getKey(), c);
        }
        return s;
    }
}
