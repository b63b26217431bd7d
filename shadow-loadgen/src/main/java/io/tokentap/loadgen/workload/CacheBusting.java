package io.tokentap.loadgen.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Puts a unique prefix in front of every request's first message, so no two requests share a prompt prefix and a
 * server's prefix cache cannot help. Run a workload with and without it to measure what prefix caching is worth.
 * Later turns of a session keep their first turn's prefix, as a real conversation would.
 */
public final class CacheBusting implements Workload {

    private final Workload inner;
    private final long runId;
    private long counter;

    public CacheBusting(Workload inner, long runId) {
        this.inner = inner;
        this.runId = runId;
    }

    @Override
    public RequestSpec next() {
        RequestSpec r = inner.next();
        if (r == null) {
            return null;
        }
        String prefix = "[" + Long.toHexString(runId) + "-" + (counter++) + "] ";
        JsonNode msgs = r.body().get("messages");
        if (msgs instanceof ArrayNode a && !a.isEmpty() && a.get(0) instanceof ObjectNode first
                && first.get("content") != null && first.get("content").isTextual()) {
            first.put("content", prefix + first.get("content").asText());
        } else if (r.body().get("prompt") != null && r.body().get("prompt").isTextual()) {
            r.body().put("prompt", prefix + r.body().get("prompt").asText());
        }
        return r;
    }

    @Override
    public long[] recordedOffsetsNanos() {
        return inner.recordedOffsetsNanos();
    }

    @Override
    public String describe() {
        return inner.describe() + ", cache-busting prefix";
    }
}
