package io.tokentap.proxy.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Maps the raw value of the pipeline-node header to a bounded {@code node} label. The value is sanitised first
 * (characters outside {@code [A-Za-z0-9._:-]} become {@code _}, at most {@value #MAX_LENGTH} characters); then it
 * is its own label when it is on the allow-list, or, with no allow-list, when it is among the first {@code limit}
 * distinct values seen. Anything else is {@value #OTHER}; a missing or blank header is {@value #NONE}. The first
 * values seen keep their slots for the life of the process, so series do not churn.
 *
 * <pre>{@code
 * NodeLabels nodes = new NodeLabels(List.of(), 10);
 * nodes.label("retriever");   // "retriever"
 * nodes.label(null);          // "none"
 * }</pre>
 */
public final class NodeLabels {

    public static final String OTHER = "other";
    public static final String NONE = "none";
    public static final int MAX_LENGTH = 64;

    private final Set<String> allowed;
    private final int limit;
    private final ConcurrentHashMap<String, String> admitted = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();

    /**
     * @param allowList the node names that get a label of their own; empty: the first {@code limit} values seen
     * @param limit     how many distinct values get a label of their own when there is no allow-list
     */
    public NodeLabels(Iterable<String> allowList, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: > 0)");
        }
        java.util.HashSet<String> s = new java.util.HashSet<>();
        allowList.forEach(n -> s.add(sanitize(n)));
        this.allowed = Set.copyOf(s);
        this.limit = limit;
    }

    public String label(String raw) {
        if (raw == null || raw.isBlank()) {
            return NONE;
        }
        String known = admitted.get(raw); // keyed by the clean value, which a well-behaved client sends as is
        if (known != null) {
            return known;
        }
        String clean = sanitize(raw);
        if (!allowed.isEmpty()) {
            return allowed.contains(clean) ? clean : OTHER;
        }
        if (clean.equals(OTHER) || clean.equals(NONE)) {
            return clean;
        }
        if (size.get() >= limit) {
            return OTHER;
        }
        String prev = admitted.get(clean);
        if (prev != null) {
            return prev;
        }
        // Reserve a slot first so that concurrent callers cannot push the map past the limit.
        if (size.incrementAndGet() > limit) {
            size.decrementAndGet();
            return OTHER;
        }
        prev = admitted.putIfAbsent(clean, clean);
        if (prev != null) {
            size.decrementAndGet();
            return prev;
        }
        return clean;
    }

    /** The value trimmed, cut to {@value #MAX_LENGTH} characters, with characters outside the label set as {@code _}. */
    static String sanitize(String raw) {
        String t = raw.strip();
        int n = Math.min(t.length(), MAX_LENGTH);
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            char c = t.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == ':' || c == '-';
            b.append(ok ? c : '_');
        }
        return b.toString();
    }
}
