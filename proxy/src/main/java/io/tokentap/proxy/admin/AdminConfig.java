package io.tokentap.proxy.admin;

import io.tokentap.proxy.config.ConfigNode;
import io.tokentap.proxy.config.HostPort;
import java.util.Objects;

/**
 * The {@code admin} section of the proxy config: where {@code /metrics}, {@code /healthz} and {@code /readyz} are
 * served.
 *
 * <pre>{@code
 * admin:
 *   listen: 127.0.0.1:9464   # --admin HOST:PORT; in Kubernetes 0.0.0.0 so that probes and Prometheus reach it
 * }</pre>
 */
public record AdminConfig(HostPort listen) {

    public static final int DEFAULT_PORT = 9464;
    public static final AdminConfig DEFAULT = new AdminConfig(new HostPort("127.0.0.1", DEFAULT_PORT));

    public AdminConfig {
        Objects.requireNonNull(listen, "listen");
    }

    public static AdminConfig from(ConfigNode n) {
        HostPort listen = n.hostPort("listen", DEFAULT.listen());
        return n.build(() -> new AdminConfig(listen));
    }

    public AdminConfig withListen(HostPort l) {
        return new AdminConfig(l);
    }
}
