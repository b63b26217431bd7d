package io.tokentap.loadgen.exec;

import java.net.URI;

/**
 * The server under test: host, port and a base path that request routes are appended to (for a target of
 * {@code http://host:8000/proxy} the route {@code /v1/chat/completions} is sent as
 * {@code /proxy/v1/chat/completions}). Plain HTTP/1.1 only.
 */
public record Target(String host, int port, String basePath) {

    public Target {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("target host: missing (expected e.g. http://127.0.0.1:8000)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("target port: " + port + " (expected: 1..65535)");
        }
        basePath = basePath == null || basePath.equals("/") ? "" : basePath.replaceAll("/+$", "");
    }

    public static Target parse(String url) {
        URI u;
        try {
            u = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("target: '" + url + "' is not a URL (expected e.g. http://127.0.0.1:8000)");
        }
        if (!"http".equalsIgnoreCase(u.getScheme())) {
            throw new IllegalArgumentException("target: '" + url + "' (expected an http:// URL; TLS is not supported)");
        }
        return new Target(u.getHost(), u.getPort() == -1 ? 80 : u.getPort(), u.getRawPath());
    }

    /** The request-target for {@code route}; a route with a query or a full path is appended as is. */
    public String uri(String route) {
        return basePath + (route.startsWith("/") ? route : "/" + route);
    }

    /** The Host header value. */
    public String hostHeader() {
        return port == 80 ? host : host + ":" + port;
    }

    @Override
    public String toString() {
        return "http://" + hostHeader() + basePath;
    }
}
