package io.tokentap.proxy.config;

/**
 * What the proxy logs.
 *
 * @param requests one JSON line per finished request on standard output, with its timeline figures
 */
public record LogConfig(boolean requests) {

    public static LogConfig defaults() {
        return new LogConfig(false);
    }

    static LogConfig from(ConfigNode n) {
        boolean requests = n.bool("requests", false);
        return n.build(() -> new LogConfig(requests));
    }
}
