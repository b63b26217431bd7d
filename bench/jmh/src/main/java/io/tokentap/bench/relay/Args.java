package io.tokentap.bench.relay;

import java.util.HashMap;
import java.util.Map;

/** {@code --name value} pairs of the harness's command lines; a flag without a value is {@code true}. */
public final class Args {
    private final Map<String, String> values = new HashMap<>();

    public Args(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("argument " + args[i] + " (expected: --name value)");
            }
            boolean hasValue = i + 1 < args.length && !args[i + 1].startsWith("--");
            values.put(args[i], hasValue ? args[++i] : "true");
        }
    }

    public String value(String name, String orElse) {
        return values.getOrDefault(name, orElse);
    }

    public int intValue(String name, int orElse) {
        return values.containsKey(name) ? Integer.parseInt(values.get(name)) : orElse;
    }

    public double doubleValue(String name, double orElse) {
        return values.containsKey(name) ? Double.parseDouble(values.get(name)) : orElse;
    }

    public boolean flag(String name) {
        return Boolean.parseBoolean(values.getOrDefault(name, "false"));
    }
}
