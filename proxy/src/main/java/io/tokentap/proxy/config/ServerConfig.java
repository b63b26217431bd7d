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
 * @param eventLoops           the event loops (threads) that relay traffic; 0 means one per available processor, as
 *                             nginx's {@code worker_processes auto} (a container's CPU limit counts)
 */
public record ServerConfig(HostPort listen, int maxInitialLineBytes, int maxHeaderBytes, Duration drainTimeout,
                           int eventLoops) {

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
        if (eventLoops < 0 || eventLoops > 1024) {
            throw new IllegalArgumentException("eventLoops: " + eventLoops
                    + " (expected: 0 for one per processor, or 1 to 1024)");
        }
    }

    /** The event loops to start: {@link #eventLoops}, or one per available processor when it is 0. */
    public int eventLoopCount() {
        return eventLoops > 0 ? eventLoops : Runtime.getRuntime().availableProcessors();
    }

    public static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_LISTEN, 8192, 65536, Duration.ofSeconds(25), 0);
    }

    public ServerConfig withListen(HostPort newListen) {
        return new ServerConfig(newListen, maxInitialLineBytes, maxHeaderBytes, drainTimeout, eventLoops);
    }

    static ServerConfig from(ConfigNode n) {
        ServerConfig d = defaults();
        HostPort listen = n.hostPort("listen", d.listen);
        int line = n.bytes("maxInitialLineBytes", d.maxInitialLineBytes);
        int header = n.bytes("maxHeaderBytes", d.maxHeaderBytes);
        Duration drain = n.duration("drainTimeout", d.drainTimeout);
        int loops = n.intValue("eventLoops", d.eventLoops);
        return n.build(() -> new ServerConfig(listen, line, header, drain, loops));
    }
}
