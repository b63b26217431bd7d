package io.tokentap.proxy.config;

/**
 * The listening side: where clients connect and how large a request head may be.
 *
 * @param listen               the address to accept traffic on
 * @param maxInitialLineBytes  the longest request line accepted (longer: 414)
 * @param maxHeaderBytes       the largest request header block accepted (larger: 431)
 */
public record ServerConfig(HostPort listen, int maxInitialLineBytes, int maxHeaderBytes) {

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
    }

    public static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_LISTEN, 8192, 65536);
    }

    public ServerConfig withListen(HostPort newListen) {
        return new ServerConfig(newListen, maxInitialLineBytes, maxHeaderBytes);
    }

    static ServerConfig from(ConfigNode n) {
        ServerConfig d = defaults();
        HostPort listen = n.hostPort("listen", d.listen);
        int line = n.bytes("maxInitialLineBytes", d.maxInitialLineBytes);
        int header = n.bytes("maxHeaderBytes", d.maxHeaderBytes);
        return n.build(() -> new ServerConfig(listen, line, header));
    }
}
