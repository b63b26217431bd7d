package io.tokentap.loadgen.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokentap.loadgen.capture.CaptureReader;
import io.tokentap.core.capture.CaptureRecord;
import io.tokentap.loadgen.capture.JsonLines;
import io.tokentap.loadgen.config.YamlNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;

/**
 * Loads a workload from a file:
 * <ul>
 *   <li>YAML ({@code .yaml}/{@code .yml}): {@code type: synthetic} with weighted classes and optional sessions, or
 *       {@code type: prompts|mooncake|capture} with a {@code file};</li>
 *   <li>a directory: the capture files in it ({@code *.jsonl}, {@code *.jsonl.gz}, as the proxy rotates them) as one
 *       capture, in name order;</li>
 *   <li>JSON lines: a capture file (lines with {@code "v"} and {@code "arrival_us"}), a Mooncake trace (lines with
 *       {@code "hash_ids"} or {@code "input_length"}), or a prompt file ({@code "prompt"} or {@code "messages"}).</li>
 * </ul>
 * Bad lines in JSON-lines files are reported through the warning sink with their line numbers and skipped.
 */
public final class WorkloadLoader {

    /** Mooncake's block size: each hash id stands for 512 tokens. */
    public static final int MOONCAKE_BLOCK = 512;

    private final ObjectMapper mapper;
    private final TokenText text;
    private final ChatBodies bodies;
    private final Consumer<String> warnings;

    public WorkloadLoader(ObjectMapper mapper, TokenText text, Consumer<String> warnings) {
        this.mapper = mapper;
        this.text = text;
        this.bodies = new ChatBodies(mapper);
        this.warnings = warnings;
    }

    /** The built-in mix when no workload is given: 80% short chat, 20% long documents. */
    public Workload defaultSynthetic(String model, long seed) {
        List<SyntheticWorkload.RequestClass> classes = List.of(
                new SyntheticWorkload.RequestClass("short-chat", 0.8, lognormal(200, 0.6, 8, 2000),
                        lognormal(150, 0.5, 8, 1000)),
                new SyntheticWorkload.RequestClass("long-doc", 0.2, lognormal(3000, 0.4, 500, 6500),
                        lognormal(300, 0.4, 16, 1500)));
        return new SyntheticWorkload(classes, null, model, 0, text, bodies, new Well19937c(seed));
    }

    private static LengthDistribution lognormal(double median, double sigma, int min, int max) {
        double mu = Math.log(median);
        return new LengthDistribution() {
            @Override
            public int sample(RandomGenerator rng) {
                return (int) Math.max(min, Math.min(max, Math.round(Math.exp(mu + sigma * rng.nextGaussian()))));
            }

            @Override
            public double mean() {
                return Math.exp(mu + sigma * sigma / 2);
            }
        };
    }

    public Workload load(Path file, String model, long seed) throws IOException {
        if (Files.isDirectory(file)) {
            return captureDirectory(file, model);
        }
        String name = file.getFileName().toString();
        if (name.endsWith(".yaml") || name.endsWith(".yml")) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                return fromYaml(YamlNode.parse(name, r), file.toAbsolutePath().getParent(), model, seed);
            }
        }
        return jsonLines(file, detect(file), model);
    }

    Workload fromYaml(YamlNode root, Path baseDir, String model, long seed) throws IOException {
        String type = root.child("type").asChoice("synthetic", "pipeline", "prompts", "mooncake", "capture");
        String m = model != null ? model : root.string("model", null);
        Workload w;
        if (type.equals("pipeline")) {
            root.allowOnly("type", "model", "seed", "nodes", "only", "cache_bust");
            List<PipelineWorkload.Node> nodes = new ArrayList<>();
            for (YamlNode n : root.child("nodes").items()) {
                n.allowOnly("name", "prompt_tokens", "output_tokens", "tool_latency_ms", "outlier_probability",
                        "outlier_latency", "probability", "extra_call_probability");
                String name = n.child("name").text();
                boolean tool = n.has("tool_latency_ms");
                LengthDistribution p = n.has("prompt_tokens") ? LengthDistribution.parse(n.child("prompt_tokens")) : null;
                LengthDistribution o = n.has("output_tokens") ? LengthDistribution.parse(n.child("output_tokens")) : null;
                LengthDistribution lat = tool ? LengthDistribution.parse(n.child("tool_latency_ms")) : null;
                double outlierP = n.number("outlier_probability", 0);
                Duration outlier = n.duration("outlier_latency", Duration.ZERO);
                double prob = n.number("probability", 1);
                double extra = n.number("extra_call_probability", 0);
                nodes.add(n.validate(() -> new PipelineWorkload.Node(name, p, o, lat, outlierP, outlier, prob, extra)));
            }
            String only = root.string("only", null);
            long sd = root.whole("seed", seed);
            w = root.validate(() -> new PipelineWorkload(nodes, only, m, text, bodies, new Well19937c(sd)));
        } else if (type.equals("synthetic")) {
            root.allowOnly("type", "model", "seed", "classes", "sessions", "shared_prefix_tokens", "cache_bust");
            List<SyntheticWorkload.RequestClass> classes = new ArrayList<>();
            for (YamlNode c : root.child("classes").items()) {
                c.allowOnly("name", "weight", "prompt_tokens", "output_tokens");
                String cn = c.string("name", "class-" + (classes.size() + 1));
                double weight = c.number("weight", 1);
                LengthDistribution p = LengthDistribution.parse(c.child("prompt_tokens"));
                LengthDistribution o = LengthDistribution.parse(c.child("output_tokens"));
                classes.add(c.validate(() -> new SyntheticWorkload.RequestClass(cn, weight, p, o)));
            }
            if (classes.isEmpty()) {
                throw root.child("classes").error("empty (expected: at least one class)");
            }
            SyntheticWorkload.Sessions sessions = null;
            if (root.has("sessions")) {
                YamlNode s = root.child("sessions");
                s.allowOnly("turns", "think_time", "follow_up_tokens");
                LengthDistribution turns = LengthDistribution.parse(s.child("turns"));
                Duration think = s.duration("think_time", Duration.ZERO);
                LengthDistribution follow = s.has("follow_up_tokens")
                        ? LengthDistribution.parse(s.child("follow_up_tokens")) : LengthDistribution.fixed(50);
                sessions = new SyntheticWorkload.Sessions(turns, think, follow);
            }
            long sd = root.whole("seed", seed);
            int prefix = (int) root.whole("shared_prefix_tokens", 0);
            SyntheticWorkload.Sessions ss = sessions;
            w = root.validate(() -> new SyntheticWorkload(classes, ss, m, prefix, text, bodies, new Well19937c(sd)));
        } else {
            root.allowOnly("type", "model", "file", "cache_bust", "block_size");
            Path f = Path.of(root.child("file").text());
            if (baseDir != null && !f.isAbsolute()) {
                f = baseDir.resolve(f);
            }
            if (!Files.isRegularFile(f)) {
                throw root.child("file").error("no such file: " + f);
            }
            int block = (int) root.whole("block_size", MOONCAKE_BLOCK);
            w = switch (type) {
                case "prompts" -> prompts(f, m);
                case "mooncake" -> mooncake(f, m, block);
                default -> capture(f, m);
            };
        }
        if (root.bool("cache_bust", false)) {
            w = new CacheBusting(w, seed);
        }
        return w;
    }

    /** The kind of a JSON-lines file, from its first non-blank line. */
    String detect(Path file) throws IOException {
        try (BufferedReader r = new BufferedReader(new java.io.InputStreamReader(JsonLines.open(file),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = mapper.readTree(line);
                } catch (IOException e) {
                    return "prompts";
                }
                if (n.has("arrival_us") && n.has("v")) {
                    return "capture";
                }
                if (n.has("hash_ids") || n.has("input_length")) {
                    return "mooncake";
                }
                return "prompts";
            }
        }
        return "prompts";
    }

    private Workload jsonLines(Path file, String kind, String model) throws IOException {
        return switch (kind) {
            case "capture" -> capture(file, model);
            case "mooncake" -> mooncake(file, model, MOONCAKE_BLOCK);
            default -> prompts(file, model);
        };
    }

    private void report(Path file, List<JsonLines.BadLine> bad) {
        for (JsonLines.BadLine b : bad) {
            warnings.accept(file.getFileName() + ":" + b.line() + ": skipped: " + b.problem());
        }
    }

    /** A prompt file: {@code {"prompt": "...", "max_tokens": 100}} or {@code {"messages": [...]}} per line. */
    public FileWorkload prompts(Path file, String model) throws IOException {
        JsonLines.Result<ObjectNode> r = JsonLines.read(file, line -> {
            JsonNode n = mapper.readTree(line);
            if (!(n instanceof ObjectNode o)) {
                throw new IllegalArgumentException("expected a JSON object");
            }
            JsonNode maxTokens = o.has("max_tokens") ? o.get("max_tokens") : o.get("output_tokens");
            ObjectNode body = bodies.chat(model != null ? model : o.path("model").asText(null),
                    maxTokens != null && maxTokens.canConvertToInt() ? maxTokens.asInt() : -1);
            if (o.get("messages") instanceof ArrayNode msgs && !msgs.isEmpty()) {
                body.set("messages", msgs);
            } else if (o.get("prompt") != null && o.get("prompt").isTextual()) {
                ChatBodies.addMessage(body, "user", o.get("prompt").asText());
            } else {
                throw new IllegalArgumentException("expected \"prompt\" (a string) or \"messages\" (a list)");
            }
            return body;
        });
        report(file, r.badLines());
        List<ObjectNode> bodiesRead = r.values();
        return new FileWorkload("prompts " + file.getFileName() + " (" + bodiesRead.size() + ")", bodiesRead.size(),
                i -> {
                    ObjectNode b = bodiesRead.get(i).deepCopy();
                    return new RequestSpec(ChatBodies.CHAT_ROUTE, b, -1, b.path("max_tokens").asInt(-1), null,
                            "prompts", null);
                }, null, true);
    }

    /** A Mooncake trace entry. */
    record TraceEntry(long timestampMs, int inputLength, int outputLength, long[] hashIds) {
    }

    /** A Mooncake-style trace: timestamp (ms), input_length, output_length, hash_ids per line. */
    public FileWorkload mooncake(Path file, String model, int blockSize) throws IOException {
        JsonLines.Result<TraceEntry> r = JsonLines.read(file, line -> {
            JsonNode n = mapper.readTree(line);
            if (!n.path("input_length").canConvertToInt() || n.path("input_length").asInt() < 1) {
                throw new IllegalArgumentException("input_length: missing or < 1");
            }
            if (!n.path("output_length").canConvertToInt() || n.path("output_length").asInt() < 1) {
                throw new IllegalArgumentException("output_length: missing or < 1");
            }
            long[] ids = new long[n.path("hash_ids").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = n.get("hash_ids").get(i).asLong();
            }
            return new TraceEntry(n.path("timestamp").asLong(0), n.get("input_length").asInt(),
                    n.get("output_length").asInt(), ids);
        });
        report(file, r.badLines());
        List<TraceEntry> entries = r.values();
        long[] offsets = FileWorkload.offsets(entries.stream().map(e -> e.timestampMs() * 1_000_000L).toList());
        return new FileWorkload("mooncake " + file.getFileName() + " (" + entries.size() + ")", entries.size(), i -> {
            TraceEntry e = entries.get(i);
            ObjectNode body = bodies.chat(model, e.outputLength());
            StringBuilder sb = new StringBuilder(e.inputLength() * 6);
            text.appendBlocks(sb, e.hashIds(), blockSize, 0x7a11L + i, 0, e.inputLength());
            ChatBodies.addMessage(body, "user", sb.toString());
            return new RequestSpec(ChatBodies.CHAT_ROUTE, body, e.inputLength(), e.outputLength(), null, "trace", null);
        }, offsets, true);
    }

    /** A capture file, as documented in {@code docs/capture-format.md}. */
    public FileWorkload capture(Path file, String model) throws IOException {
        JsonLines.Result<CaptureRecord> r = new CaptureReader(mapper).read(file);
        report(file, r.badLines());
        List<CaptureRecord> records = r.values();
        long[] offsets = FileWorkload.offsets(records.stream().map(c -> c.arrivalUs() * 1000L).toList());
        CaptureRequests build = new CaptureRequests(bodies, text);
        return new FileWorkload("capture " + file.getFileName() + " (" + records.size() + ")", records.size(),
                i -> build.request(records.get(i), model, i), offsets, false);
    }

    /**
     * The capture files of a directory as one capture: every {@code *.jsonl} and {@code *.jsonl.gz} file, read in
     * name order and concatenated, each record at its recorded time. The proxy's rotated files
     * ({@code capture-<UTC yyyyMMddTHHmmssZ>-<5-digit seq>.jsonl[.gz]}) sort by name in the order they were written.
     * Empty files (just rotated) are skipped; a file without a single capture record is an error.
     */
    public FileWorkload captureDirectory(Path dir, String model) throws IOException {
        List<Path> files = captureFiles(dir);
        if (files.isEmpty()) {
            throw new IllegalArgumentException(dir + ": no capture files (expected: *.jsonl or *.jsonl.gz)");
        }
        CaptureReader reader = new CaptureReader(mapper);
        List<CaptureRecord> records = new ArrayList<>();
        for (Path f : files) {
            JsonLines.Result<CaptureRecord> r = reader.read(f);
            if (r.values().isEmpty() && r.badLines().isEmpty()) {
                continue; // just rotated, nothing written yet
            }
            if (r.values().isEmpty()) {
                throw new IllegalArgumentException(f + ": not a capture file (expected lines with \"v\" and"
                        + " \"arrival_us\", see docs/capture-format.md)");
            }
            report(f, r.badLines());
            records.addAll(r.values());
        }
        long[] offsets = FileWorkload.offsets(records.stream().map(c -> c.arrivalUs() * 1000L).toList());
        CaptureRequests build = new CaptureRequests(bodies, text);
        return new FileWorkload("capture " + dir.getFileName() + "/ (" + files.size() + " files, " + records.size()
                + ")", records.size(), i -> build.request(records.get(i), model, i), offsets, false);
    }

    /** The {@code *.jsonl} and {@code *.jsonl.gz} files of a directory (not its subdirectories), by name. */
    static List<Path> captureFiles(Path dir) throws IOException {
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> {
                String n = f.getFileName().toString();
                return !n.startsWith(".") && (n.endsWith(".jsonl") || n.endsWith(".jsonl.gz")) && Files.isRegularFile(f);
            }).sorted(java.util.Comparator.comparing(f -> f.getFileName().toString())).toList();
        }
    }
}
