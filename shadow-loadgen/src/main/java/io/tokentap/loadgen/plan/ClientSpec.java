package io.tokentap.loadgen.plan;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How the generated clients behave.
 *
 * @param timeout          the whole request's limit (outcome {@code timeout})
 * @param abortAfterTokens cancel the stream after this many content events (0: never); outcome {@code client_cancel}
 * @param abortAfter       cancel the stream this long after the send ({@link Duration#ZERO}: never)
 * @param readPause        a slow reader: after each read, stop reading for this long ({@code ZERO}: read at once)
 * @param maxConnections   at most this many connections; a request due while all are busy waits in a queue, and
 *                         the wait shows in its TTFT
 * @param maxQueue         at most this many requests wait for a connection; more are dropped and counted
 * @param headers          headers sent with every request
 * @param tenantHeader     the header that carries a tenant key, or {@code null}
 * @param tenantKeys       tenant keys, used in turn (a captured tenant hash picks a fixed one)
 * @param eventLoops       threads that run connections
 */
public record ClientSpec(Duration timeout, long abortAfterTokens, Duration abortAfter, Duration readPause,
                         int maxConnections, int maxQueue, Map<String, String> headers, String tenantHeader,
                         List<String> tenantKeys, int eventLoops) {

    public static final ClientSpec DEFAULT = new ClientSpec(Duration.ofSeconds(120), 0, Duration.ZERO, Duration.ZERO,
            10_000, 100_000, Map.of(), null, List.of(), 1);

    public ClientSpec {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
        }
        if (abortAfterTokens < 0) {
            throw new IllegalArgumentException("abort_after_tokens: " + abortAfterTokens + " (expected: >= 0)");
        }
        if (abortAfter == null || abortAfter.isNegative()) {
            throw new IllegalArgumentException("abort_after: " + abortAfter + " (expected: >= 0)");
        }
        if (readPause == null || readPause.isNegative()) {
            throw new IllegalArgumentException("read_pause: " + readPause + " (expected: >= 0)");
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("max_connections: " + maxConnections + " (expected: > 0)");
        }
        if (maxQueue < 0) {
            throw new IllegalArgumentException("max_queue: " + maxQueue + " (expected: >= 0)");
        }
        if (eventLoops < 1) {
            throw new IllegalArgumentException("event_loops: " + eventLoops + " (expected: > 0)");
        }
        headers = Map.copyOf(headers);
        tenantKeys = List.copyOf(tenantKeys);
        if (!tenantKeys.isEmpty() && (tenantHeader == null || tenantHeader.isBlank())) {
            throw new IllegalArgumentException("tenant_keys without tenant_header (expected: the header to carry them)");
        }
    }

    public ClientSpec withMaxConnections(int n) {
        return new ClientSpec(timeout, abortAfterTokens, abortAfter, readPause, n, maxQueue, headers, tenantHeader,
                tenantKeys, eventLoops);
    }
}
