package io.tokentap.proxy.config;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads a YAML configuration file into a {@link ConfigNode} tree that remembers the line of every value. It uses
 * SnakeYAML's node graph ({@code compose}), not its object mapping, so that no YAML tag can instantiate a class and
 * every error can name its line.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /** Reads {@code file}; a missing or unreadable file is a {@link ConfigException}. */
    public static ConfigNode load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the configuration file (" + e + ")", e);
        }
        return parse(text, file.toString());
    }

    /** Parses YAML text; {@code source} names it in error messages. */
    public static ConfigNode parse(String yamlText, String source) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setAllowRecursiveKeys(false);
        options.setMaxAliasesForCollections(10);
        Node root;
        try (Reader r = new StringReader(yamlText)) {
            root = new Yaml(options).compose(r);
        } catch (YAMLException | IOException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getMessage(), e);
        }
        ConfigNode out = new ConfigNode("", source);
        if (root == null) {
            return out;
        }
        if (!(root instanceof MappingNode m)) {
            throw new ConfigException(origin(source, root) + ": the file must be a mapping of sections "
                    + "(expected: e.g. 'upstream:' followed by indented settings)");
        }
        fill(out, m, source);
        return out;
    }

    private static void fill(ConfigNode target, MappingNode mapping, String source) {
        for (NodeTuple t : mapping.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) {
                throw new ConfigException(origin(source, t.getKeyNode()) + ": a key must be a plain name");
            }
            String key = k.getValue();
            Node v = t.getValueNode();
            String origin = origin(source, k);
            String childPath = target.path().isEmpty() ? key : target.path() + "." + key;
            if (v instanceof MappingNode vm) {
                ConfigNode child = new ConfigNode(childPath, source);
                fill(child, vm, source);
                target.put(key, child, origin);
            } else if (v instanceof SequenceNode seq) {
                List<String> items = new ArrayList<>();
                for (Node item : seq.getValue()) {
                    if (!(item instanceof ScalarNode s)) {
                        throw new ConfigException(origin(source, item) + ": " + childPath
                                + ": a list item must be a plain value");
                    }
                    items.add(s.getValue());
                }
                target.put(key, items, origin);
            } else if (v instanceof ScalarNode s) {
                boolean isNull = Tag.NULL.equals(s.getTag());
                target.put(key, isNull ? null : s.getValue(), origin);
            }
        }
    }

    private static String origin(String source, Node node) {
        return source + " line " + (node.getStartMark().getLine() + 1);
    }
}
