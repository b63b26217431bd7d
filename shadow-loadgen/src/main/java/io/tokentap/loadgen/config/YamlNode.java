package io.tokentap.loadgen.config;

import java.io.Reader;
import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * A YAML node that knows its file, line and path, so that every error names the bad field where it is. Mappings
 * are checked for unknown keys ({@link #allowOnly}), which catches misspelt fields instead of ignoring them.
 *
 * <pre>{@code
 * YamlNode root = YamlNode.parse("plan.yaml", reader);
 * root.allowOnly("name", "stages");
 * Duration hold = root.child("stages").items().get(0).duration("hold");
 * }</pre>
 */
public final class YamlNode {

    private final String source;
    private final String path;
    private final Node node;
    private final int line;

    private YamlNode(String source, String path, Node node, int line) {
        this.source = source;
        this.path = path;
        this.node = node;
        this.line = line;
    }

    /** Parses one YAML document; an empty document is an empty mapping. */
    public static YamlNode parse(String source, Reader reader) {
        Node n;
        try {
            n = new Yaml(new LoaderOptions()).compose(reader);
        } catch (YAMLException e) {
            int line = 1;
            if (e instanceof org.yaml.snakeyaml.error.MarkedYAMLException m && m.getProblemMark() != null) {
                line = m.getProblemMark().getLine() + 1;
            }
            throw new ConfigException(source, line, "", "not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (n == null) {
            n = new Yaml().compose(new StringReader("{}"));
        }
        return new YamlNode(source, "", n, n.getStartMark().getLine() + 1);
    }

    public String path() {
        return path;
    }

    public int line() {
        return line;
    }

    /** An error about this node. */
    public ConfigException error(String problem) {
        return new ConfigException(source, line, path, problem);
    }

    public boolean isMapping() {
        return node instanceof MappingNode;
    }

    public boolean isSequence() {
        return node instanceof SequenceNode;
    }

    public boolean isScalar() {
        return node instanceof ScalarNode;
    }

    private Map<String, YamlNode> entries() {
        if (!(node instanceof MappingNode m)) {
            throw error("expected a mapping (key: value)");
        }
        Map<String, YamlNode> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            String k = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : String.valueOf(t.getKeyNode());
            Node v = t.getValueNode();
            out.put(k, new YamlNode(source, path.isEmpty() ? k : path + "." + k, v, t.getKeyNode().getStartMark().getLine() + 1));
        }
        return out;
    }

    /** The keys of this mapping, in file order. */
    public Set<String> keys() {
        return new LinkedHashSet<>(entries().keySet());
    }

    /** Fails on the first key that is not one of {@code allowed}, naming it and the expected keys. */
    public YamlNode allowOnly(String... allowed) {
        List<String> ok = Arrays.asList(allowed);
        for (Map.Entry<String, YamlNode> e : entries().entrySet()) {
            if (!ok.contains(e.getKey())) {
                throw e.getValue().error("unknown field (expected one of: " + String.join(", ", ok) + ")");
            }
        }
        return this;
    }

    public boolean has(String key) {
        return entries().containsKey(key);
    }

    /** The child under {@code key}, or an error naming the missing field. */
    public YamlNode child(String key) {
        YamlNode c = entries().get(key);
        if (c == null) {
            throw new ConfigException(source, line, path.isEmpty() ? key : path + "." + key, "missing (required)");
        }
        return c;
    }

    /** The items of this sequence, each with its index in its path. */
    public List<YamlNode> items() {
        if (!(node instanceof SequenceNode s)) {
            throw error("expected a list");
        }
        List<YamlNode> out = new ArrayList<>();
        int i = 0;
        for (Node n : s.getValue()) {
            out.add(new YamlNode(source, path + "[" + i++ + "]", n, n.getStartMark().getLine() + 1));
        }
        return out;
    }

    /** This scalar's text. */
    public String text() {
        if (!(node instanceof ScalarNode s)) {
            throw error("expected a single value");
        }
        return s.getValue();
    }

    public double asDouble() {
        try {
            return Double.parseDouble(text().trim());
        } catch (NumberFormatException e) {
            throw error("'" + text() + "' is not a number");
        }
    }

    public long asLong() {
        try {
            return Long.parseLong(text().trim().replace("_", ""));
        } catch (NumberFormatException e) {
            throw error("'" + text() + "' is not a whole number");
        }
    }

    public Duration asDuration() {
        try {
            return Durations.parse(text());
        } catch (IllegalArgumentException e) {
            String msg = String.valueOf(e.getMessage());
            int colon = msg.indexOf(": ");
            // "max_connections: 0 (expected: > 0)" from a record names a field of this mapping: point at it.
            if (colon > 0 && isMapping() && has(msg.substring(0, colon))) {
                YamlNode field = child(msg.substring(0, colon));
                throw new ConfigException(source, field.line, field.path, msg.substring(colon + 2));
            }
            throw error(msg);
        }
    }

    public boolean asBoolean() {
        String t = text().trim().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("true") || t.equals("yes") || t.equals("on")) {
            return true;
        }
        if (t.equals("false") || t.equals("no") || t.equals("off")) {
            return false;
        }
        throw error("'" + text() + "' is not true or false");
    }

    /** A value among {@code choices} (case-insensitive), returned in lower case. */
    public String asChoice(String... choices) {
        String t = text().trim().toLowerCase(java.util.Locale.ROOT);
        if (!Arrays.asList(choices).contains(t)) {
            throw error("'" + text() + "' (expected one of: " + String.join(", ", choices) + ")");
        }
        return t;
    }

    public String string(String key, String dflt) {
        return has(key) ? child(key).text() : dflt;
    }

    public double number(String key, double dflt) {
        return has(key) ? child(key).asDouble() : dflt;
    }

    public long whole(String key, long dflt) {
        return has(key) ? child(key).asLong() : dflt;
    }

    public Duration duration(String key, Duration dflt) {
        return has(key) ? child(key).asDuration() : dflt;
    }

    public boolean bool(String key, boolean dflt) {
        return has(key) ? child(key).asBoolean() : dflt;
    }

    /** A string-to-string mapping under {@code key}, or an empty map. */
    public Map<String, String> stringMap(String key) {
        Map<String, String> out = new LinkedHashMap<>();
        if (has(key)) {
            for (Map.Entry<String, YamlNode> e : child(key).entries().entrySet()) {
                out.put(e.getKey(), e.getValue().text());
            }
        }
        return out;
    }

    /** Runs {@code check}; an {@link IllegalArgumentException} from it (a record's validation) becomes an error here. */
    public <T> T validate(java.util.function.Supplier<T> check) {
        try {
            return check.get();
        } catch (IllegalArgumentException e) {
            String msg = String.valueOf(e.getMessage());
            int colon = msg.indexOf(": ");
            // "max_connections: 0 (expected: > 0)" from a record names a field of this mapping: point at it.
            if (colon > 0 && isMapping() && has(msg.substring(0, colon))) {
                YamlNode field = child(msg.substring(0, colon));
                throw new ConfigException(source, field.line, field.path, msg.substring(colon + 2));
            }
            throw error(msg);
        }
    }
}
