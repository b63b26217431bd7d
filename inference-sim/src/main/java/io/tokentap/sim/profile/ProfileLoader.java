package io.tokentap.sim.profile;

import io.tokentap.sim.faults.FaultSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Reads a {@link Profile} from YAML: a built-in one shipped from {@code config/sim/} inside the jar, or a user's
 * file. A bad field is reported by its path and line ({@code my.yaml, line 7: gpu.memory_gib: -80.0 (expected: > 0)});
 * an unknown field (a typo) is an error too.
 *
 * <pre>
 * Profile p = new ProfileLoader().load("llama3-8b-a100");
 * Profile q = new ProfileLoader().loadFile(Path.of("my-profile.yaml"));
 * </pre>
 */
public final class ProfileLoader {

    /** Profiles shipped in the jar. */
    public static final List<String> BUILT_IN = List.of("tiny", "llama3-8b-a100", "llama3-70b-2xh100");

    private static final String RESOURCE_DIR = "io/tokentap/sim/profiles/";

    /** Loads a built-in profile by name. */
    public Profile load(String name) {
        String resource = RESOURCE_DIR + name + ".yaml";
        try (InputStream in = ProfileLoader.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new ProfileException("profile", "'" + name + "' is not a built-in profile (expected one of: "
                        + String.join(", ", BUILT_IN) + ", or use --profile-file)");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), name + ".yaml", name);
        } catch (IOException e) {
            throw new ProfileException("profile", "cannot read " + resource + ": " + e.getMessage());
        }
    }

    /** Loads a profile from a file; its name is the file name without {@code .yaml}. */
    public Profile loadFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ProfileException("profile", "cannot read " + file + ": " + e);
        }
        String fileName = file.getFileName().toString();
        return parse(text, file.toString(), fileName.replaceFirst("\\.ya?ml$", ""));
    }

    /** Parses profile YAML; {@code source} names it in error messages. */
    public Profile parse(String yaml, String source, String defaultName) {
        Node root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).compose(new StringReader(yaml));
        } catch (YAMLException e) {
            throw new ProfileException("", source + ": not valid YAML: " + e.getMessage());
        }
        if (!(root instanceof MappingNode)) {
            throw new ProfileException("", source + ": expected a mapping with the sections model, gpu, engine, output");
        }
        Map<String, Integer> lines = new HashMap<>();
        Section top = new Section("", (MappingNode) root, lines, source);
        try {
            String name = top.str("name", defaultName);
            Section m = top.section("model", true);
            ModelSpec model = new ModelSpec(m.str("name", null), m.dbl("params_billion", null), m.integer("layers", null),
                    m.integer("kv_heads", null), m.integer("head_dim", null), m.dbl("bytes_per_param", 2.0),
                    m.integer("max_model_len", null));
            m.finish();
            Section g = top.section("gpu", true);
            GpuSpec gpu = new GpuSpec(g.str("name", null), g.integer("count", 1), g.dbl("memory_gib", null),
                    g.dbl("bandwidth_gbps", null), g.dbl("peak_tflops", null), g.dbl("bandwidth_efficiency", 0.8),
                    g.dbl("mfu", 0.5), g.dbl("idle_watts", 60.0), g.dbl("max_watts", 400.0));
            g.finish();
            Section e = top.section("engine", false);
            EngineSpec engine = new EngineSpec(e.integer("block_size", 16), e.dbl("gpu_memory_utilization", 0.9),
                    e.integer("max_num_batched_tokens", 2048), e.integer("max_num_seqs", 256),
                    e.integer("max_waiting", 1024), e.dbl("step_overhead_ms", 0.0), e.dbl("seq_overhead_ms", 0.0), e.integer("reject_status", 503),
                    e.integer("retry_after_seconds", 1));
            e.finish();
            Section o = top.section("output", false);
            OutputSpec output = new OutputSpec(OutputSpec.Distribution.parse(o.str("distribution", "lognormal")),
                    o.dbl("mean", 200.0), o.integer("min", 1), o.integer("max", 4096), o.dbl("sigma", 0.8));
            o.finish();
            Section f = top.section("faults", false);
            FaultSpec faults = f.faults();
            top.finish();
            return new Profile(name, model, gpu, engine, output, faults);
        } catch (ProfileException ex) {
            if (ex.field().isEmpty() || ex.getMessage().startsWith(source)) {
                throw ex;
            }
            throw ex.at(source, lines.getOrDefault(ex.field(), 0));
        }
    }

    /** One mapping of the YAML tree, read key by key; whatever is left unread is an unknown field. */
    private static final class Section {
        private final String prefix;
        private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
        private final Map<String, Integer> lines;
        private final String source;
        private final int line;

        Section(String prefix, MappingNode node, Map<String, Integer> lines, String source) {
            this.prefix = prefix;
            this.lines = lines;
            this.source = source;
            this.line = node == null ? 0 : node.getStartMark().getLine() + 1;
            if (node != null) {
                for (NodeTuple t : node.getValue()) {
                    String key = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : String.valueOf(t.getKeyNode());
                    entries.put(key, t);
                    lines.put(prefix + key, t.getKeyNode().getStartMark().getLine() + 1);
                }
            }
        }

        Section section(String key, boolean required) {
            NodeTuple t = entries.remove(key);
            if (t == null) {
                if (required) {
                    throw new ProfileException(prefix + key, "missing section").at(source, 0);
                }
                return new Section(prefix + key + ".", null, lines, source);
            }
            if (!(t.getValueNode() instanceof MappingNode mn)) {
                throw new ProfileException(prefix + key, "expected a mapping").at(source, lineOf(key));
            }
            return new Section(prefix + key + ".", mn, lines, source);
        }

        private int lineOf(String key) {
            return lines.getOrDefault(prefix + key, line);
        }

        private String scalar(String key) {
            NodeTuple t = entries.remove(key);
            if (t == null) {
                return null;
            }
            if (!(t.getValueNode() instanceof ScalarNode s)) {
                throw new ProfileException(prefix + key, "expected a single value").at(source, lineOf(key));
            }
            return s.getValue().trim();
        }

        String str(String key, String dflt) {
            String v = scalar(key);
            if (v == null || v.isEmpty()) {
                if (dflt == null) {
                    throw missing(key);
                }
                return dflt;
            }
            return v;
        }

        double dbl(String key, Double dflt) {
            String v = scalar(key);
            if (v == null) {
                if (dflt == null) {
                    throw missing(key);
                }
                return dflt;
            }
            try {
                return Double.parseDouble(v.replace("_", ""));
            } catch (NumberFormatException e) {
                throw new ProfileException(prefix + key, "'" + v + "' (expected: a number)").at(source, lineOf(key));
            }
        }

        int integer(String key, Integer dflt) {
            String v = scalar(key);
            if (v == null) {
                if (dflt == null) {
                    throw missing(key);
                }
                return dflt;
            }
            try {
                return Integer.parseInt(v.replace("_", ""));
            } catch (NumberFormatException e) {
                throw new ProfileException(prefix + key, "'" + v + "' (expected: an integer)").at(source, lineOf(key));
            }
        }

        FaultSpec faults() {
            Map<String, String> kv = new LinkedHashMap<>();
            for (String key : List.copyOf(entries.keySet())) {
                kv.put(key, scalar(key));
            }
            try {
                return FaultSpec.NONE.with(kv);
            } catch (IllegalArgumentException e) {
                String key = e.getMessage().substring(0, Math.max(0, e.getMessage().indexOf(':')));
                throw new ProfileException(prefix + key, e.getMessage().substring(key.length() + 1).trim())
                        .at(source, lines.getOrDefault(prefix + key, line));
            }
        }

        private ProfileException missing(String key) {
            return new ProfileException(prefix + key, "missing (required)").at(source, line);
        }

        void finish() {
            if (!entries.isEmpty()) {
                String key = entries.keySet().iterator().next();
                throw new ProfileException(prefix + key, "unknown field").at(source, lineOf(key));
            }
        }
    }
}
