package io.tokentap.proxy.admin;

import java.util.Objects;

/**
 * The {@code admin} section of the proxy config: where {@code /metrics}, {@code /healthz} and {@code /readyz} are
 * served. On the command line: {@code --admin HOST:PORT}. Loopback by default: in Kubernetes, set
 * {@code 0.0.0.0} so that the kubelet's probes and Prometheus reach it.
 */
public record AdminConfig(String host, int port) {

    public static final int DEFAULT_PORT = 9464;
    public static final AdminConfig DEFAULT = new AdminConfig("127.0.0.1", DEFAULT_PORT);

    public AdminConfig {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("admin host: '' (expected: an address such as 127.0.0.1 or 0.0.0.0)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("admin port: " + port + " (expected: 0 to 65535, 0 for any free port)");
        }
    }

    /** Parses {@code HOST:PORT}, {@code :PORT} (loopback) or {@code [v6]:PORT}. */
    public static AdminConfig parse(String hostPort) {
        Objects.requireNonNull(hostPort, "hostPort");
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("admin: '" + hostPort + "' (expected: HOST:PORT, e.g. 127.0.0.1:9464)");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            host = DEFAULT.host();
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("admin: '" + hostPort + "' (expected: HOST:PORT with a numeric port)");
        }
        return new AdminConfig(host, port);
    }
}
