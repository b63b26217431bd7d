package io.tokentap.proxy.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One section of the configuration as read from YAML and command-line flags, before it becomes a typed record. It
 * remembers where each value came from (file and line, or the flag), so that every error can say so.
 *
 * <p>A section's record reads its settings with the typed getters, each naming the key and its default, and then
 * calls {@link #build}, which turns a validation failure of the record's constructor into a {@link ConfigException}
 * that points at the offending setting, and rejects any key the section did not ask for:
 *
 * <pre>{@code
 * static UpstreamConfig from(ConfigNode n) {
 *     URI url = n.uri("url", null);
 *     int max = n.intValue("maxConnections", 256);
 *     return n.build(() -> new UpstreamConfig(url, max));
 * }
 * }</pre>
 */
public final class ConfigNode {

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");
    private static final Pattern BYTES = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|KB|MB|GB|k|K|m|M)?");
    private static final Pattern FIELD = Pattern.compile("^([A-Za-z][A-Za-z0-9]*(?:\\.[A-Za-z][A-Za-z0-9]*)*)\\s*:");

    /** A value and where it came from. */
    private record Entry(Object value, String origin) { }

    private final String path;
    private final String defaultOrigin;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Set<String> known = new LinkedHashSet<>();

    /**
     * @param path          the dotted path of this section ("" for the root)
     * @param defaultOrigin what to name as the origin of a setting nobody set (e.g. the file name, or "defaults")
     */
    public ConfigNode(String path, String defaultOrigin) {
        this.path = path;
        this.defaultOrigin = defaultOrigin;
    }

    /** An empty root, for configuration built from flags and defaults only. */
    public static ConfigNode empty() {
        return new ConfigNode("", "defaults");
    }

    public String path() {
        return path;
    }

    /** Puts a scalar (String), a list of scalars (List) or a child section (ConfigNode) under {@code key}. */
    void put(String key, Object value, String origin) {
        if (entries.containsKey(key)) {
            throw new ConfigException(origin + ": " + qualify(key) + ": duplicate key (first set at "
                    + entries.get(key).origin + ")");
        }
        entries.put(key, new Entry(value, origin));
    }

    /**
     * Sets the setting at a dotted path below this node, replacing what the file said. Used for command-line flags,
     * which win over the file. The value is a scalar (String) or a list of scalars ({@code List<String>}).
     */
    public void override(String dottedPath, Object value, String origin) {
        if (!(value instanceof String) && !(value instanceof List<?>)) {
            throw new IllegalArgumentException("value: " + value + " (expected: a String or a List of Strings)");
        }
        int dot = dottedPath.indexOf('.');
        if (dot < 0) {
            entries.put(dottedPath, new Entry(value, origin));
            return;
        }
        String head = dottedPath.substring(0, dot);
        Entry e = entries.get(head);
        ConfigNode child;
        if (e != null && e.value instanceof ConfigNode c) {
            child = c;
        } else {
            child = new ConfigNode(qualify(head), defaultOrigin);
            entries.put(head, new Entry(child, origin));
        }
        child.override(dottedPath.substring(dot + 1), value, origin);
    }

    /** The child section {@code key}, or an empty one when absent. */
    public ConfigNode section(String key) {
        known.add(key);
        Entry e = entries.get(key);
        if (e == null || e.value == null) {
            return new ConfigNode(qualify(key), defaultOrigin);
        }
        if (e.value instanceof ConfigNode c) {
            return c;
        }
        throw new ConfigException(e.origin + ": " + qualify(key) + ": a " + describe(e.value)
                + " (expected: a section of key: value settings)");
    }

    public String string(String key, String def) {
        return scalar(key, def, s -> s, "a string");
    }

    public int intValue(String key, int def) {
        return scalar(key, def, Integer::parseInt, "an integer");
    }

    public boolean bool(String key, boolean def) {
        return scalar(key, def, s -> {
            switch (s.toLowerCase(Locale.ROOT)) {
                case "true": case "yes": case "on": return true;
                case "false": case "no": case "off": return false;
                default: throw new IllegalArgumentException(s);
            }
        }, "true or false");
    }

    /** A duration: {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}, or ISO-8601 ({@code PT5S}). */
    public Duration duration(String key, Duration def) {
        return scalar(key, def, ConfigNode::parseDuration, "a duration such as 250ms, 5s, 2m or PT5S");
    }

    /** A size in bytes: {@code 65536}, {@code 64KiB}, {@code 1MiB} (KB/MB are decimal, k/K/m/M binary). */
    public int bytes(String key, int def) {
        return scalar(key, def, ConfigNode::parseBytes, "a size in bytes such as 65536, 64KiB or 1MiB");
    }

    public HostPort hostPort(String key, HostPort def) {
        return scalar(key, def, HostPort::parse, "HOST:PORT, e.g. 127.0.0.1:8080");
    }

    /** A list of strings; a single scalar counts as a list of one. */
    @SuppressWarnings("unchecked")
    public List<String> strings(String key, List<String> def) {
        known.add(key);
        Entry e = entries.get(key);
        if (e == null || e.value == null) {
            return def;
        }
        if (e.value instanceof List<?> l) {
            return List.copyOf((List<String>) l);
        }
        if (e.value instanceof String s) {
            return List.of(s);
        }
        throw new ConfigException(e.origin + ": " + qualify(key) + ": a section (expected: a list of strings)");
    }

    private <T> T scalar(String key, T def, Function<String, T> parse, String expected) {
        known.add(key);
        Entry e = entries.get(key);
        if (e == null || e.value == null) {
            return def;
        }
        if (!(e.value instanceof String s)) {
            throw new ConfigException(e.origin + ": " + qualify(key) + ": a " + describe(e.value)
                    + " (expected: " + expected + ")");
        }
        try {
            return parse.apply(s.trim());
        } catch (RuntimeException ex) {
            throw new ConfigException(e.origin + ": " + qualify(key) + ": '" + s + "' (expected: " + expected + ")",
                    ex);
        }
    }

    /**
     * Builds the section's record. An {@link IllegalArgumentException} from its constructor whose message starts
     * with a field name ({@code "maxConnections: 0 (expected: > 0)"}) is reported against that setting's origin.
     * Keys the section never asked for are rejected by name.
     */
    public <T> T build(Supplier<T> constructor) {
        T built;
        try {
            built = constructor.get();
        } catch (IllegalArgumentException e) {
            String msg = String.valueOf(e.getMessage());
            Matcher m = FIELD.matcher(msg);
            String origin = m.find() ? originOf(m.group(1)) : defaultOrigin;
            throw new ConfigException(origin + ": " + (path.isEmpty() ? msg : path + "." + msg), e);
        }
        rejectUnknown();
        return built;
    }

    /** Who set {@code field}, a key of this section or a dotted path into its sub-sections (e.g. a flag). */
    private String originOf(String field) {
        int dot = field.indexOf('.');
        Entry e = entries.get(dot < 0 ? field : field.substring(0, dot));
        if (e == null) {
            return defaultOrigin;
        }
        if (dot >= 0 && e.value instanceof ConfigNode c) {
            return c.originOf(field.substring(dot + 1));
        }
        return e.origin;
    }

    /** Fails on the first key that no getter asked for. */
    public void rejectUnknown() {
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            if (!known.contains(e.getKey())) {
                throw new ConfigException(e.getValue().origin + ": " + qualify(e.getKey())
                        + ": unknown setting (expected one of: " + String.join(", ", known) + ")");
            }
        }
    }

    private String qualify(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static String describe(Object v) {
        return v instanceof ConfigNode ? "section" : v instanceof List ? "list" : "value";
    }

    static Duration parseDuration(String s) {
        if (s.startsWith("P") || s.startsWith("p")) {
            return Duration.parse(s.toUpperCase(Locale.ROOT));
        }
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException(s);
        }
        long n = Long.parseLong(m.group(1));
        switch (m.group(2)) {
            case "ms": return Duration.ofMillis(n);
            case "s": return Duration.ofSeconds(n);
            case "m": return Duration.ofMinutes(n);
            default: return Duration.ofHours(n);
        }
    }

    static int parseBytes(String s) {
        Matcher m = BYTES.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException(s);
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2);
        long mult;
        switch (unit) {
            case "B": mult = 1; break;
            case "KiB": case "k": case "K": mult = 1024; break;
            case "MiB": case "m": case "M": mult = 1024 * 1024; break;
            case "GiB": mult = 1024L * 1024 * 1024; break;
            case "KB": mult = 1000; break;
            case "MB": mult = 1000 * 1000; break;
            default: mult = 1000L * 1000 * 1000; break;
        }
        return Math.toIntExact(n * mult);
    }

    /** The keys present in this section, in file order (for tests and diagnostics). */
    public List<String> keys() {
        return new ArrayList<>(entries.keySet());
    }
}
