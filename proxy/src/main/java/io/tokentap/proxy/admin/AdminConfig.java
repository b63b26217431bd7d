package io.tokentap.proxy.admin;

import io.tokentap.proxy.config.ConfigNode;
import io.tokentap.proxy.config.HostPort;
import java.time.Duration;
import java.util.Objects;

/**
 * The {@code admin} section of the proxy config: where {@code /metrics}, {@code /healthz} and {@code /readyz} are
 * served, and how shutdown drains.
 *
 * <pre>{@code
 * admin:
 *   listen: 127.0.0.1:9464   # --admin HOST:PORT; in Kubernetes 0.0.0.0 so that probes and Prometheus reach it
 *   drainTimeout: 25s        # on SIGTERM /readyz fails at once, then in-flight requests get this long to finish
 * }</pre>
 */
public record AdminConfig(HostPort listen, Duration drainTimeout) {

    public static final int DEFAULT_PORT = 9464;
    public static final AdminConfig DEFAULT =
            new AdminConfig(new HostPort("127.0.0.1", DEFAULT_PORT), Duration.ofSeconds(25));

    public AdminConfig {
        Objects.requireNonNull(listen, "listen");
        if (drainTimeout == null || drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drainTimeout: " + drainTimeout + " (expected: a duration >= 0)");
        }
    }

    public static AdminConfig from(ConfigNode n) {
        HostPort listen = n.hostPort("listen", DEFAULT.listen());
        Duration drain = n.duration("drainTimeout", DEFAULT.drainTimeout());
        return n.build(() -> new AdminConfig(listen, drain));
    }

    public AdminConfig withListen(HostPort l) {
        return new AdminConfig(l, drainTimeout);
    }
}
