package io.tokentap.proxy.metrics;

import java.time.Duration;
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
 *     meta-llama/Llama-3.1-8B-Instruct: {input: 0.10, output: 0.20}
 *   window: 60s                                  # exact windowed quantiles
 *   tenantLabel: false                           # tenant label (hashed), off by default
 *   tenantTopN: 20
 * }</pre>
 *
 * @param models      the allow-list of model label values
 * @param prices      dollars per million tokens, by model (an allow-listed name, or {@code other})
 * @param window      the span of the exact windowed quantiles
 * @param tenantLabel whether counters carry a {@code tenant} label
 * @param tenantTopN  how many distinct tenants get a label of their own; the rest share {@code other}
 */
public record MetricsConfig(List<String> models, Map<String, ModelPrice> prices, Duration window,
                            boolean tenantLabel, int tenantTopN) {

    public static final MetricsConfig DEFAULT = new MetricsConfig(List.of(), Map.of(), Duration.ofMinutes(1), false, 20);

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
    }
}
