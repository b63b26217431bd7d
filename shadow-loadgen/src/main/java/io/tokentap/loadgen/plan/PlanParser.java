package io.tokentap.loadgen.plan;

import io.tokentap.loadgen.config.YamlNode;
import io.tokentap.loadgen.schedule.ArrivalProcess;
import io.tokentap.loadgen.schedule.LoadProfile;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a plan from YAML. A bad or unknown field fails with a {@link io.tokentap.loadgen.config.ConfigException}
 * naming the file, line and field. See {@code docs/loadgen.md} and {@code config/loadgen/*.yaml}.
 *
 * <pre>{@code
 * name: chat-ramp
 * max_duration: 10m
 * stages:
 *   - type: ramp
 *     rate: {from: 1, to: 40}
 *     over: 2m
 *     hold: 30s
 *   - type: burst
 *     concurrency: 8
 *     multiplier: 4
 *     period: 30s
 *     burst: 5s
 *     hold: 2m
 * }</pre>
 */
public final class PlanParser {

    /** Used when a plan names no limit: a day, and ten million requests. */
    public static final Duration DEFAULT_MAX_DURATION = Duration.ofHours(24);
    public static final long DEFAULT_MAX_REQUESTS = 10_000_000;

    public Plan parse(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(file.getFileName().toString(), r, file.toAbsolutePath().getParent());
        }
    }

    /** Parses a plan; a relative workload path is resolved against {@code baseDir} when it is not null. */
    public Plan parse(String source, Reader reader, Path baseDir) {
        YamlNode root = YamlNode.parse(source, reader);
        root.allowOnly("name", "seed", "max_duration", "max_requests", "model", "workload", "slo", "client", "stages");
        String name = root.string("name", source);
        long seed = root.whole("seed", 1);
        Duration maxDuration = root.has("max_duration") ? positive(root.child("max_duration")) : DEFAULT_MAX_DURATION;
        long maxRequests = root.whole("max_requests", DEFAULT_MAX_REQUESTS);
        if (maxRequests < 1) {
            throw root.child("max_requests").error(maxRequests + " (expected: > 0)");
        }
        Path workload = null;
        if (root.has("workload")) {
            workload = Path.of(root.child("workload").text());
            if (baseDir != null && !workload.isAbsolute()) {
                workload = baseDir.resolve(workload);
            }
        }
        Slo slo = root.has("slo") ? slo(root.child("slo")) : Slo.NONE;
        ClientSpec client = root.has("client") ? client(root.child("client")) : ClientSpec.DEFAULT;
        YamlNode stagesNode = root.child("stages");
        List<StageSpec> stages = new ArrayList<>();
        for (YamlNode s : stagesNode.items()) {
            stages.add(stage(s, stages.size()));
        }
        if (stages.isEmpty()) {
            throw stagesNode.error("empty (expected: at least one stage)");
        }
        return new Plan(name, stages, maxDuration, maxRequests, seed, slo, client, workload, root.string("model", null));
    }

    static Slo slo(YamlNode n) {
        n.allowOnly("ttft", "tpot", "e2e", "max_stall");
        return new Slo(optDuration(n, "ttft"), optDuration(n, "tpot"), optDuration(n, "e2e"), optDuration(n, "max_stall"));
    }

    private static Duration optDuration(YamlNode n, String key) {
        return n.has(key) ? positive(n.child(key)) : null;
    }

    private static Duration positive(YamlNode n) {
        Duration d = n.asDuration();
        if (d.isZero()) {
            throw n.error(n.text() + " (expected: > 0)");
        }
        return d;
    }

    static ClientSpec client(YamlNode n) {
        n.allowOnly("timeout", "abort_after_tokens", "abort_after", "read_pause", "max_connections", "max_queue",
                "headers", "tenant_header", "tenant_keys", "event_loops");
        ClientSpec d = ClientSpec.DEFAULT;
        List<String> keys = new ArrayList<>();
        if (n.has("tenant_keys")) {
            for (YamlNode k : n.child("tenant_keys").items()) {
                keys.add(k.text());
            }
        }
        return n.validate(() -> new ClientSpec(
                n.duration("timeout", d.timeout()),
                n.whole("abort_after_tokens", d.abortAfterTokens()),
                n.duration("abort_after", d.abortAfter()),
                n.duration("read_pause", d.readPause()),
                (int) n.whole("max_connections", d.maxConnections()),
                (int) n.whole("max_queue", d.maxQueue()),
                n.stringMap("headers"),
                n.string("tenant_header", null),
                keys,
                (int) n.whole("event_loops", d.eventLoops())));
    }

    private static StageSpec stage(YamlNode n, int index) {
        String type = n.child("type").asChoice("ramp", "sustained", "burst", "soak");
        String name = n.string("name", type + "-" + (index + 1));
        ArrivalProcess arrival = ArrivalProcess.valueOf(
                n.has("arrival") ? n.child("arrival").asChoice("constant", "poisson", "gamma").toUpperCase(java.util.Locale.ROOT)
                        : "POISSON");
        double shape = n.number("gamma_shape", 1.0);
        if (n.has("concurrency") == n.has("rate")) {
            throw n.error("give exactly one of 'concurrency' (closed model) or 'rate' (open model, requests/s)");
        }
        String levelKey = n.has("concurrency") ? "concurrency" : "rate";
        switch (type) {
            case "ramp" -> n.allowOnly("type", "name", levelKey, "over", "hold", "arrival", "gamma_shape");
            case "burst" -> n.allowOnly("type", "name", levelKey, "multiplier", "period", "burst", "hold", "arrival",
                    "gamma_shape");
            default -> n.allowOnly("type", "name", levelKey, "hold", "arrival", "gamma_shape");
        }
        LoadModel model = levelKey.equals("concurrency") ? LoadModel.CLOSED : LoadModel.OPEN;
        YamlNode level = n.child(levelKey);
        Duration hold = n.child("hold").asDuration();
        LoadProfile profile;
        switch (type) {
            case "ramp" -> {
                level.allowOnly("from", "to");
                double from = positiveNumber(level.has("from") ? level.child("from") : null, 1);
                double to = positiveNumber(level.child("to"), 1);
                Duration over = positive(n.child("over"));
                profile = n.validate(() -> LoadProfile.ramp(from, to, over, hold));
            }
            case "burst" -> {
                double base = positiveNumber(level, 0);
                double mult = positiveNumber(n.child("multiplier"), 0);
                Duration period = positive(n.child("period"));
                Duration burst = positive(n.child("burst"));
                if (burst.compareTo(period) > 0) {
                    throw n.child("burst").error(n.child("burst").text() + " (expected: <= period " + n.child("period").text() + ")");
                }
                profile = n.validate(() -> LoadProfile.burst(base, mult, period, burst, hold));
            }
            default -> {
                profile = LoadProfile.constant(positiveNumber(level, 0), hold);
            }
        }
        if (hold.isZero() && !type.equals("ramp")) {
            throw n.child("hold").error("0s (expected: > 0)");
        }
        LoadProfile p = profile;
        return n.validate(() -> new StageSpec(name, type, model, p, arrival, shape, 1));
    }

    private static double positiveNumber(YamlNode n, double dflt) {
        if (n == null) {
            return dflt;
        }
        double v = n.asDouble();
        if (!(v > 0)) {
            throw n.error(n.text() + " (expected: > 0)");
        }
        return v;
    }
}
