package io.tokentap.proxy.config;

import java.time.Duration;

/**
 * The listening side: where clients connect and how large a request head may be.
 *
 * @param listen               the address to accept traffic on
 * @param maxInitialLineBytes  the longest request line accepted (longer: 414)
 * @param maxHeaderBytes       the largest request header block accepted (larger: 431)
 * @param drainTimeout         on shutdown, how long streams in flight may run to their end before the connections
 *                             are closed (keep it under the pod's termination grace period)
 */
public record ServerConfig(HostPort listen, int maxInitialLineBytes, int maxHeaderBytes, Duration drainTimeout) {

    public static final HostPort DEFAULT_LISTEN = new HostPort("0.0.0.0", 8080);

    public ServerConfig {
        if (listen == null) {
            throw new IllegalArgumentException("listen: missing (expected: HOST:PORT, e.g. 0.0.0.0:8080)");
        }
        if (maxInitialLineBytes < 256) {
            throw new IllegalArgumentException("maxInitialLineBytes: " + maxInitialLineBytes + " (expected: >= 256)");
        }
        if (maxHeaderBytes < 1024) {
            throw new IllegalArgumentException("maxHeaderBytes: " + maxHeaderBytes + " (expected: >= 1024)");
        }
        if (drainTimeout == null || drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drainTimeout: " + drainTimeout + " (expected: a duration >= 0)");
        }
    }

    public static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_LISTEN, 8192, 65536, Duration.ofSeconds(25));
    }

    public ServerConfig withListen(HostPort newListen) {
        return new ServerConfig(newListen, maxInitialLineBytes, maxHeaderBytes, drainTimeout);
    }

    static ServerConfig from(ConfigNode n) {
        ServerConfig d = defaults();
        HostPort listen = n.hostPort("listen", d.listen);
        int line = n.bytes("maxInitialLineBytes", d.maxInitialLineBytes);
        int header = n.bytes("maxHeaderBytes", d.maxHeaderBytes);
        Duration drain = n.duration("drainTimeout", d.drainTimeout);
        return n.build(() -> new ServerConfig(listen, line, header, drain));
    }
}
