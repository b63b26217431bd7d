package io.tokentap.core.prom;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of parsing one exposition: the samples in the order written, the declared types and help texts of the
 * families, and the lines that were skipped.
 *
 * <pre>{@code
 * PromScrape s = PromTextParser.parse(body);
 * for (PromSample x : s.samples("vllm:num_requests_waiting")) { ... }
 * }</pre>
 */
public final class PromScrape {

    private final List<PromSample> samples;
    private final Map<String, List<PromSample>> byName;
    private final Map<String, PromMetricType> types;
    private final Map<String, String> help;
    private final Map<String, String> units;
    private final List<PromParseError> errors;

    PromScrape(List<PromSample> samples, Map<String, PromMetricType> types, Map<String, String> help,
               Map<String, String> units, List<PromParseError> errors) {
        this.samples = Collections.unmodifiableList(samples);
        Map<String, List<PromSample>> index = new HashMap<>();
        for (PromSample s : samples) {
            index.computeIfAbsent(s.name(), k -> new ArrayList<>(4)).add(s);
        }
        this.byName = index;
        this.types = Collections.unmodifiableMap(types);
        this.help = Collections.unmodifiableMap(help);
        this.units = Collections.unmodifiableMap(units);
        this.errors = Collections.unmodifiableList(errors);
    }

    /** Every sample, in the order written. */
    public List<PromSample> samples() {
        return samples;
    }

    /** The samples with exactly this name (suffix included), in the order written; empty when there are none. */
    public List<PromSample> samples(String name) {
        return byName.getOrDefault(name, List.of());
    }

    /** Whether any sample has this name. */
    public boolean has(String name) {
        return byName.containsKey(name);
    }

    /** The declared type of a family, or {@code null} when it has no {@code # TYPE} line. */
    public PromMetricType type(String family) {
        return types.get(family);
    }

    /** The families' declared types, keyed by family name. */
    public Map<String, PromMetricType> types() {
        return types;
    }

    /** The family's {@code # HELP} text, unescaped, or {@code null}. */
    public String help(String family) {
        return help.get(family);
    }

    /** The family's OpenMetrics {@code # UNIT}, or {@code null}. */
    public String unit(String family) {
        return units.get(family);
    }

    /** The lines that were skipped; empty for a clean exposition. */
    public List<PromParseError> errors() {
        return errors;
    }
}
