package io.tokentap.loadgen.result;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The results of one stage (or of a whole run, or of several shards merged): a histogram per {@link LoadMetric} in
 * microseconds, counters by {@link RequestOutcome}, token sums, and the stage's wall-clock length. Merging adds
 * histograms and counters, which is exact: percentiles are never averaged. Not thread-safe; built by one thread.
 */
public final class StageStats {

    /** Histograms track 1 µs to 1 h with 3 significant digits. */
    public static final long HIGHEST_MICROS = 3_600_000_000L;

    private final String name;
    private final String type;
    private final String load;
    private final double level;
    private double durationSeconds;
    private final EnumMap<LoadMetric, Histogram> histograms = new EnumMap<>(LoadMetric.class);
    private final long[] outcomes = new long[RequestOutcome.values().length];
    private long inputTokens;
    private long outputTokens;
    private long cachedTokens;
    private long goodRequests;
    private boolean clientBound;
    private String clientBoundReason = "";
    private double clientCpuSeconds = -1;
    private final Map<String, Double> server = new LinkedHashMap<>();
    private final Map<String, StageStats> classes = new LinkedHashMap<>();
    private final Histogram chainTokens = new Histogram(1, 1_000_000_000L, 3);
    private long chainsIncomplete;

    public StageStats(String name, String type, String load) {
        this(name, type, load, 0);
    }

    /**
     * @param load  how the console states the load, e.g. {@code c=32} or {@code r=10→40/s}
     * @param level the load as a number: the peak concurrency or rate (a replay's speed-up)
     */
    public StageStats(String name, String type, String load, double level) {
        this.name = name;
        this.type = type;
        this.load = load;
        this.level = level;
        for (LoadMetric m : LoadMetric.values()) {
            histograms.put(m, newHistogram());
        }
    }

    public static Histogram newHistogram() {
        return new Histogram(1, HIGHEST_MICROS, 3);
    }

    public String name() {
        return name;
    }

    public String type() {
        return type;
    }

    public String load() {
        return load;
    }

    /** The stage's load as a number: peak concurrency (closed), peak rate (open) or the replay speed-up. */
    public double level() {
        return level;
    }

    public double durationSeconds() {
        return durationSeconds;
    }

    /** Sets the stage's length, and its classes' (they ran over the same time). */
    public void durationSeconds(double s) {
        this.durationSeconds = s;
        classes.values().forEach(c -> c.durationSeconds(s));
    }

    public Histogram histogram(LoadMetric m) {
        return histograms.get(m);
    }

    public long count(RequestOutcome o) {
        return outcomes[o.ordinal()];
    }

    public void addCount(RequestOutcome o, long n) {
        outcomes[o.ordinal()] += n;
    }

    public void addTokens(long input, long output, long cached) {
        inputTokens += input;
        outputTokens += output;
        cachedTokens += cached;
    }

    public void addGood(long n) {
        goodRequests += n;
    }

    public long inputTokens() {
        return inputTokens;
    }

    public long outputTokens() {
        return outputTokens;
    }

    public long cachedTokens() {
        return cachedTokens;
    }

    /** Requests that succeeded and met every SLO. */
    public long goodRequests() {
        return goodRequests;
    }

    public boolean clientBound() {
        return clientBound;
    }

    public String clientBoundReason() {
        return clientBoundReason;
    }

    public void clientBound(boolean bound, String reason) {
        this.clientBound = bound;
        this.clientBoundReason = reason == null ? "" : reason;
    }

    /**
     * CPU seconds (user + system, every thread) the load generator's process used in the stage's measured window, or
     * -1 when the JVM cannot tell; beside the window's length it says how many cores the client kept busy.
     */
    public double clientCpuSeconds() {
        return clientCpuSeconds;
    }

    public void clientCpuSeconds(double s) {
        this.clientCpuSeconds = s;
    }

    /** Server figures sampled during the stage (e.g. {@code kv_cache_usage_max}); empty when not sampled. */
    public Map<String, Double> server() {
        return server;
    }

    /**
     * The same figures per workload class (a synthetic class, a pipeline node, a captured route), when the workload
     * has more than one; empty otherwise. Classes have no classes of their own.
     */
    public Map<String, StageStats> classes() {
        return classes;
    }

    /** Total tokens (input + output, over all calls) per completed session or pipeline request. */
    public Histogram chainTokens() {
        return chainTokens;
    }

    /** Sessions or pipeline requests that ended early (a call failed or the run stopped). */
    public long chainsIncomplete() {
        return chainsIncomplete;
    }

    public void addChainsIncomplete(long n) {
        chainsIncomplete += n;
    }

    /** Every request that ended (dropped ones included). */
    public long requests() {
        long n = 0;
        for (long c : outcomes) {
            n += c;
        }
        return n;
    }

    public long errors() {
        long n = 0;
        for (RequestOutcome o : RequestOutcome.values()) {
            if (o.isError()) {
                n += outcomes[o.ordinal()];
            }
        }
        return n;
    }

    /** The share of requests that ended with {@code o}, in per cent (0 without requests). */
    public double percent(RequestOutcome o) {
        long n = requests();
        return n == 0 ? 0 : 100.0 * count(o) / n;
    }

    public double errorPercent() {
        long n = requests();
        return n == 0 ? 0 : 100.0 * errors() / n;
    }

    public double requestsPerSecond() {
        return durationSeconds <= 0 ? 0 : (count(RequestOutcome.OK)) / durationSeconds;
    }

    public double outputTokensPerSecond() {
        return durationSeconds <= 0 ? 0 : outputTokens / durationSeconds;
    }

    public double goodputPerSecond() {
        return durationSeconds <= 0 ? 0 : goodRequests / durationSeconds;
    }

    /** Good requests as a share of all requests, in per cent. */
    public double goodputPercent() {
        long n = requests();
        return n == 0 ? 0 : 100.0 * goodRequests / n;
    }

    /** The {@code percentile} (0–100) of {@code m} in milliseconds, or NaN without values. */
    public double millis(LoadMetric m, double percentile) {
        Histogram h = histograms.get(m);
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1000.0;
    }

    /** p99 / p50 of {@code m}: how much worse the tail is than the median; NaN without values. */
    public double tailRatio(LoadMetric m) {
        double p50 = millis(m, 50);
        double p99 = millis(m, 99);
        return p50 > 0 ? p99 / p50 : Double.NaN;
    }

    /**
     * Adds {@code other}'s histograms, counters and tokens to this. Durations: {@code concurrent} shards ran side by
     * side (the longer duration stands), otherwise stages ran one after another (durations add).
     */
    public void add(StageStats other, boolean concurrent) {
        for (LoadMetric m : LoadMetric.values()) {
            histograms.get(m).add(other.histograms.get(m));
        }
        for (int i = 0; i < outcomes.length; i++) {
            outcomes[i] += other.outcomes[i];
        }
        inputTokens += other.inputTokens;
        outputTokens += other.outputTokens;
        cachedTokens += other.cachedTokens;
        goodRequests += other.goodRequests;
        durationSeconds = concurrent ? Math.max(durationSeconds, other.durationSeconds)
                : durationSeconds + other.durationSeconds;
        // Shards run in processes of their own: their CPU adds up, side by side or one after another.
        clientCpuSeconds = clientCpuSeconds < 0 || other.clientCpuSeconds < 0
                ? Math.max(clientCpuSeconds, other.clientCpuSeconds) : clientCpuSeconds + other.clientCpuSeconds;
        if (other.clientBound) {
            clientBound = true;
            clientBoundReason = clientBoundReason.isEmpty() ? other.clientBoundReason
                    : clientBoundReason + "; " + other.clientBoundReason;
        }
        other.server.forEach((k, v) -> server.merge(k, v, Math::max));
        chainTokens.add(other.chainTokens);
        chainsIncomplete += other.chainsIncomplete;
        other.classes.forEach((k, v) -> classes.computeIfAbsent(k, n -> new StageStats(n, v.type, v.load, v.level))
                .add(v, concurrent));
    }
}
