package io.tokentap.proxy.config;

/**
 * A setting is missing, unknown or invalid. The message names where the setting came from (the file and line, or
 * the flag), the setting's dotted path, and what was expected, e.g.
 * {@code proxy.yaml line 7: upstream.maxConnections: 0 (expected: > 0)}.
 */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
