package io.tokentap.proxy.metrics;

import io.tokentap.proxy.config.ConfigNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code metrics} section of the proxy config.
 *
 * <pre>{@code
 * metrics:
 *   models: [meta-llama/Llama-3.1-8B-Instruct]   # allow-list of model label values; others become "other"
 *   prices:                                      # dollars per million tokens
 *     meta-llama/Llama-3.1-8B-Instruct: {input: 0.10, output: 0.20, cachedInput: 0.05}
 *   window: 60s                                  # exact windowed quantiles
 *   tenantLabel: false                           # tenant label (hashed), off by default
 *   tenantTopN: 20
 *   nodeHeader: x-tokentap-node                  # pipeline-node header for the node label; empty: no node label
 *   nodes: []                                    # allow-list of node label values; empty: the first nodeLimit seen
 *   nodeLimit: 10
 * }</pre>
 *
 * @param models      the allow-list of model label values
 * @param prices      dollars per million tokens, by model (an allow-listed name, or {@code other})
 * @param window      the span of the exact windowed quantiles
 * @param tenantLabel whether counters carry a {@code tenant} label
 * @param tenantTopN  how many distinct tenants get a label of their own; the rest share {@code other}
 * @param nodeHeader  the request header naming the pipeline node, read into the {@code node} label of the
 *                    per-request meters; empty: those meters carry no {@code node} label
 * @param nodes       the allow-list of node label values; others become {@code other}. Empty: the first
 *                    {@code nodeLimit} distinct values seen get a label of their own
 * @param nodeLimit   how many distinct nodes get a label of their own when there is no allow-list
 */
public record MetricsConfig(List<String> models, Map<String, ModelPrice> prices, Duration window,
                            boolean tenantLabel, int tenantTopN, String nodeHeader, List<String> nodes,
                            int nodeLimit) {

    public static final String DEFAULT_NODE_HEADER = "x-tokentap-node";
    public static final int DEFAULT_NODE_LIMIT = 10;

    public static final MetricsConfig DEFAULT = new MetricsConfig(List.of(), Map.of(), Duration.ofMinutes(1), false, 20);

    /** Most nodes any one proxy should label: each multiplies the per-request histograms. */
    public static final int MAX_NODES = 100;

    /** A config with the default node header, no node allow-list and the default node limit. */
    public MetricsConfig(List<String> models, Map<String, ModelPrice> prices, Duration window, boolean tenantLabel,
                         int tenantTopN) {
        this(models, prices, window, tenantLabel, tenantTopN, DEFAULT_NODE_HEADER, List.of(), DEFAULT_NODE_LIMIT);
    }

    /** Most models any one proxy should label: each costs a set of histograms. */
    public static final int MAX_MODELS = 100;

    public MetricsConfig {
        models = List.copyOf(Objects.requireNonNull(models, "models"));
        prices = Map.copyOf(Objects.requireNonNull(prices, "prices"));
        Objects.requireNonNull(window, "window");
        if (models.size() > MAX_MODELS) {
            throw new IllegalArgumentException("models: " + models.size() + " entries (expected: <= " + MAX_MODELS + ")");
        }
        for (String m : models) {
            if (m.isBlank() || m.equals(ModelLabels.OTHER)) {
                throw new IllegalArgumentException("models: '" + m + "' (expected: a model name, not blank or 'other')");
            }
        }
        for (String m : prices.keySet()) {
            if (!models.contains(m) && !m.equals(ModelLabels.OTHER)) {
                throw new IllegalArgumentException("prices: '" + m + "' is not in models (expected: one of "
                        + models + " or 'other')");
            }
        }
        if (window.compareTo(Duration.ofSeconds(6)) < 0 || window.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("window: " + window + " (expected: 6s to 1h)");
        }
        if (tenantTopN < 1 || tenantTopN > 1000) {
            throw new IllegalArgumentException("tenantTopN: " + tenantTopN + " (expected: 1 to 1000)");
        }
        nodeHeader = Objects.requireNonNull(nodeHeader, "nodeHeader").strip();
        if (!nodeHeader.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]*")) {
            throw new IllegalArgumentException("nodeHeader: '" + nodeHeader
                    + "' (expected: an HTTP header name such as x-tokentap-node, or empty for no node label)");
        }
        nodes = List.copyOf(Objects.requireNonNull(nodes, "nodes"));
        if (nodes.size() > MAX_NODES) {
            throw new IllegalArgumentException("nodes: " + nodes.size() + " entries (expected: <= " + MAX_NODES + ")");
        }
        for (String node : nodes) {
            if (node.isEmpty() || !node.equals(NodeLabels.sanitize(node))
                    || node.equals(NodeLabels.OTHER) || node.equals(NodeLabels.NONE)) {
                throw new IllegalArgumentException("nodes: '" + node + "' (expected: 1 to " + NodeLabels.MAX_LENGTH
                        + " of [A-Za-z0-9._:-], not 'other' or 'none')");
            }
        }
        if (nodeLimit < 1 || nodeLimit > MAX_NODES) {
            throw new IllegalArgumentException("nodeLimit: " + nodeLimit + " (expected: 1 to " + MAX_NODES + ")");
        }
    }

    /** Whether the per-request meters carry a {@code node} label. */
    public boolean nodeLabel() {
        return !nodeHeader.isEmpty();
    }

    public static MetricsConfig from(ConfigNode n) {
        List<String> models = n.strings("models", DEFAULT.models());
        ConfigNode p = n.section("prices");
        Map<String, ModelPrice> prices = new LinkedHashMap<>();
        for (String model : p.keys()) {
            ConfigNode m = p.section(model);
            String in = m.string("input", "0");
            String out = m.string("output", "0");
            String cached = m.string("cachedInput", in);
            prices.put(model, m.build(() -> new ModelPrice(price("input", in), price("output", out),
                    price("cachedInput", cached))));
        }
        p.rejectUnknown();
        Duration window = n.duration("window", DEFAULT.window());
        boolean tenantLabel = n.bool("tenantLabel", DEFAULT.tenantLabel());
        int topN = n.intValue("tenantTopN", DEFAULT.tenantTopN());
        String nodeHeader = n.string("nodeHeader", DEFAULT.nodeHeader());
        List<String> nodes = n.strings("nodes", DEFAULT.nodes());
        int nodeLimit = n.intValue("nodeLimit", DEFAULT.nodeLimit());
        return n.build(() -> new MetricsConfig(models, prices, window, tenantLabel, topN, nodeHeader, nodes,
                nodeLimit));
    }

    private static double price(String field, String v) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(field + ": '" + v + "' (expected: dollars per million tokens, e.g. 0.15)");
        }
    }
}
