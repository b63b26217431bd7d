package io.tokentap.proxy.metrics;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Maps a tenant id to a bounded label: the first 12 hex digits of its SHA-256 (the raw id never reaches
 * Prometheus), for at most {@code limit} distinct tenants; later tenants share {@value #OTHER}. The first tenants
 * seen keep their slots for the life of the process, so series do not churn.
 */
public final class TenantLabels {

    public static final String OTHER = "other";
    public static final String NONE = "none";

    private final int limit;
    private final ConcurrentHashMap<String, String> admitted = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();

    public TenantLabels(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: > 0)");
        }
        this.limit = limit;
    }

    public String label(String tenant) {
        if (tenant == null || tenant.isEmpty()) {
            return NONE;
        }
        String known = admitted.get(tenant);
        if (known != null) {
            return known;
        }
        if (size.get() >= limit) {
            return OTHER;
        }
        // Reserve a slot first so that concurrent callers cannot push the map past the limit.
        if (size.incrementAndGet() > limit) {
            size.decrementAndGet();
            return OTHER;
        }
        String hashed = hash(tenant);
        String prev = admitted.putIfAbsent(tenant, hashed);
        if (prev != null) {
            size.decrementAndGet();
            return prev;
        }
        return hashed;
    }

    static String hash(String tenant) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(tenant.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JRE", e);
        }
    }
}
