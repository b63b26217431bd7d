package io.tokentap.testing;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.yaml.snakeyaml.Yaml;

/**
 * Kubernetes manifests for tests: rendered with {@code kubectl kustomize} (offline), and checked for fields the API
 * types do not know (fabric8's model keeps those in {@code additionalProperties} instead of failing).
 */
public final class KubeManifests {

    private KubeManifests() {
    }

    /** The kubectl on the PATH, or null. */
    public static String kubectl() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, "kubectl");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    /**
     * The documents {@code kubectl kustomize --load-restrictor LoadRestrictionsNone DIR} renders.
     *
     * @throws IllegalStateException when kubectl fails or does not finish in 30 s
     */
    public static List<Map<String, Object>> render(String kubectl, Path kustomization) throws Exception {
        Process p = new ProcessBuilder(kubectl, "kustomize", "--load-restrictor", "LoadRestrictionsNone",
                kustomization.toString()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("kubectl kustomize " + kustomization + " did not finish in 30 s");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IllegalStateException("kubectl kustomize " + kustomization + " failed: " + text);
        }
        return documents(text);
    }

    /** The non-empty YAML documents of {@code text}, as maps. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> documents(String text) {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object o : new Yaml().loadAll(text)) {
            if (o != null) {
                docs.add((Map<String, Object>) o);
            }
        }
        return docs;
    }

    /** Walks a fabric8 model object and adds {@code path: [names]} for every field the API type did not know. */
    public static void unknownFields(Object o, String path, List<String> out) {
        if (o == null) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                unknownFields(e, path + "[" + i++ + "]", out);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> unknownFields(v, path + "." + k, out));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getDeclaringClass() == Object.class) {
                continue;
            }
            Object v;
            try {
                v = m.invoke(o);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
            if (m.getName().equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    out.add(path + ": " + extra.keySet());
                }
            } else {
                unknownFields(v, path + "." + m.getName().substring(3), out);
            }
        }
    }
}
