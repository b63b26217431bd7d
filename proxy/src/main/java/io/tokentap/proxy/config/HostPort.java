package io.tokentap.proxy.config;

import java.net.InetSocketAddress;

/**
 * A listen address: {@code HOST:PORT}, where port 0 asks the system for a free port. An IPv6 host is written in
 * brackets, {@code [::1]:8080}.
 */
public record HostPort(String host, int port) {

    public HostPort {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host: '" + host + "' (expected: a host name or IP address)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
    }

    /** Parses {@code HOST:PORT} or {@code [IPV6]:PORT}. */
    public static HostPort parse(String text) {
        String s = text == null ? "" : text.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' (expected: HOST:PORT, e.g. 127.0.0.1:8080)");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' (expected: HOST:PORT with a numeric port)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("'" + text + "' (expected: a port in 0..65535)");
        }
        return new HostPort(host, port);
    }

    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
