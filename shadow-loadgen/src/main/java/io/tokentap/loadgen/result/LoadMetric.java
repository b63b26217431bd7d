package io.tokentap.loadgen.result;

/**
 * The latency distributions recorded per stage, in microseconds, under stream-core's metric definitions. In open
 * stages the start is the intended send time; {@link #SERVICE_TTFT} is TTFT from the actual send, kept beside it so
 * the share of queueing in the client is visible.
 */
public enum LoadMetric {
    TTFT("ttft", "time to first token, from the intended start"),
    SERVICE_TTFT("service_ttft", "time to first token, from the actual send"),
    ITL("itl", "gap between consecutive content events"),
    ITL_PER_TOKEN("itl_per_token", "gap between content events divided by the tokens the later one carried"),
    TPOT("tpot", "time per output token: (last − first token) / (output tokens − 1)"),
    E2E("e2e", "end to end, from the intended start"),
    MAX_STALL("max_stall", "largest gap between two content events in a request"),
    SCHEDULE_LAG("schedule_lag", "actual send − intended send"),
    LOOP_LAG("loop_lag", "event-loop probe lateness (client self-check)");

    private final String key;
    private final String description;

    LoadMetric(String key, String description) {
        this.key = key;
        this.description = description;
    }

    /** The name in results.json, results.csv and interval-log tags. */
    public String key() {
        return key;
    }

    public String description() {
        return description;
    }

    public static LoadMetric ofKey(String key) {
        for (LoadMetric m : values()) {
            if (m.key.equals(key)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown metric: " + key);
    }
}
