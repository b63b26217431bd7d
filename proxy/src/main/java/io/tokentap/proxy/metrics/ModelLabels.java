package io.tokentap.proxy.metrics;

import java.util.Set;

/**
 * Maps a client-supplied model name to a bounded label value: the name itself when it is on the allow-list, else
 * {@value #OTHER}. A client sending random model names therefore adds no series.
 */
public final class ModelLabels {

    public static final String OTHER = "other";

    private final Set<String> allowed;

    public ModelLabels(Iterable<String> allowList) {
        java.util.HashSet<String> s = new java.util.HashSet<>();
        allowList.forEach(s::add);
        this.allowed = Set.copyOf(s);
    }

    public String label(String model) {
        return model != null && allowed.contains(model) ? model : OTHER;
    }
}
