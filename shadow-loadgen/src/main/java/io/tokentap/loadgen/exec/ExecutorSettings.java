package io.tokentap.loadgen.exec;

import io.tokentap.loadgen.plan.ClientSpec;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * What every connection of a run shares: the target, the client behaviour, the body encoder and the clock.
 */
public record ExecutorSettings(Target target, ClientSpec client, RequestBodies bodies, LongSupplier nanoTime,
                               AtomicLong tenantCounter) {

    public ExecutorSettings {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(bodies, "bodies");
        Objects.requireNonNull(nanoTime, "nanoTime");
        Objects.requireNonNull(tenantCounter, "tenantCounter");
    }

    public ExecutorSettings(Target target, ClientSpec client, RequestBodies bodies, LongSupplier nanoTime) {
        this(target, client, bodies, nanoTime, new AtomicLong());
    }

    /**
     * The tenant key for a request: a captured tenant hash always maps to the same key, so a replay keeps each
     * tenant's share of the traffic; other requests take the keys in turn. {@code null} when no keys are set.
     */
    String tenantKey(String tenantHash) {
        List<String> keys = client.tenantKeys();
        if (keys.isEmpty()) {
            return null;
        }
        long i = tenantHash != null ? tenantHash.hashCode() : tenantCounter.getAndIncrement();
        return keys.get((int) Math.floorMod(i, (long) keys.size()));
    }
}
