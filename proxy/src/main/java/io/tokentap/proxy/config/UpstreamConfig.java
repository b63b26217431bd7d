package io.tokentap.proxy.config;

import java.net.URI;
import java.time.Duration;

/**
 * The inference server behind the proxy and the pool of connections to it.
 *
 * <p>The pool is split over the event loops (each client connection uses upstream connections on its own loop), so
 * each loop holds at most {@code ceil(maxConnections / loops)} connections.
 *
 * @param url                the server's base URL, {@code http://HOST[:PORT][/PREFIX]}; a path prefix is put in
 *                           front of every request path
 * @param maxConnections     the most upstream connections open at once, over all event loops
 * @param maxPendingAcquires the most requests waiting for a free connection, per event loop, before a 503
 * @param connectTimeout     how long a TCP connect may take; set in the file as {@code protection.timeouts.connect},
 *                           with the other three request timeouts
 * @param acquireTimeout     how long a request may wait for a free connection before a 503
 * @param idleTimeout        an unused pooled connection is closed after this long; keep it below the server's own
 *                           keep-alive timeout (uvicorn, behind vLLM, closes idle connections after 5 s) so that a
 *                           request is never sent on a connection the server is closing
 */
public record UpstreamConfig(URI url, int maxConnections, int maxPendingAcquires, Duration connectTimeout,
                             Duration acquireTimeout, Duration idleTimeout) {

    public UpstreamConfig {
        if (url == null) {
            throw new IllegalArgumentException("url: missing (expected: the inference server's base URL, e.g. "
                    + "http://127.0.0.1:8000, in the file or with --upstream)");
        }
        if (!"http".equalsIgnoreCase(url.getScheme())) {
            throw new IllegalArgumentException("url: " + url + " (expected: an http:// URL; TLS to the upstream is "
                    + "not supported, the sidecar talks to its server over the pod's loopback)");
        }
        if (url.getHost() == null || url.getHost().isEmpty()) {
            throw new IllegalArgumentException("url: " + url + " (expected: a URL with a host, e.g. "
                    + "http://127.0.0.1:8000)");
        }
        if (url.getRawQuery() != null || url.getRawFragment() != null) {
            throw new IllegalArgumentException("url: " + url + " (expected: no query or fragment)");
        }
        if (maxConnections <= 0) {
            throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: > 0)");
        }
        if (maxPendingAcquires <= 0) {
            throw new IllegalArgumentException("maxPendingAcquires: " + maxPendingAcquires + " (expected: > 0)");
        }
        requirePositive("connectTimeout", connectTimeout);
        requirePositive("acquireTimeout", acquireTimeout);
        requirePositive("idleTimeout", idleTimeout);
    }

    private static void requirePositive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: a positive duration)");
        }
    }

    /** Defaults for everything but the URL. */
    public static UpstreamConfig of(URI url) {
        return new UpstreamConfig(url, 1024, 4096, Duration.ofSeconds(5), Duration.ofSeconds(30),
                Duration.ofSeconds(4));
    }

    public String host() {
        return url.getHost();
    }

    public int port() {
        return url.getPort() == -1 ? 80 : url.getPort();
    }

    /** The value of the Host header sent upstream. */
    public String authority() {
        return url.getPort() == -1 ? url.getHost() : url.getHost() + ":" + url.getPort();
    }

    /** The path prefix to put before each request's path: "" or "/prefix" without a trailing slash. */
    public String pathPrefix() {
        String p = url.getRawPath();
        if (p == null || p.isEmpty() || "/".equals(p)) {
            return "";
        }
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    public UpstreamConfig withMaxConnections(int n) {
        return new UpstreamConfig(url, n, maxPendingAcquires, connectTimeout, acquireTimeout, idleTimeout);
    }

    public UpstreamConfig withConnectTimeout(Duration d) {
        return new UpstreamConfig(url, maxConnections, maxPendingAcquires, d, acquireTimeout, idleTimeout);
    }

    public UpstreamConfig withIdleTimeout(Duration d) {
        return new UpstreamConfig(url, maxConnections, maxPendingAcquires, connectTimeout, acquireTimeout, d);
    }

    static UpstreamConfig from(ConfigNode n) {
        String urlText = n.string("url", null);
        int max = n.intValue("maxConnections", 1024);
        int pending = n.intValue("maxPendingAcquires", 4096);
        // The connect timeout is one of the four request timeouts (protection.timeouts.connect), read there only.
        String movedConnect = n.string("connectTimeout", null);
        Duration acquire = n.duration("acquireTimeout", Duration.ofSeconds(30));
        Duration idle = n.duration("idleTimeout", Duration.ofSeconds(4));
        return n.build(() -> {
            if (movedConnect != null) {
                throw new IllegalArgumentException("connectTimeout: " + movedConnect + " (expected: no such setting "
                        + "here; the connect timeout is protection.timeouts.connect, or --connect-timeout)");
            }
            URI url;
            try {
                url = urlText == null ? null : URI.create(urlText.trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("url: '" + urlText + "' (expected: a URL such as "
                        + "http://127.0.0.1:8000)", e);
            }
            return new UpstreamConfig(url, max, pending, Duration.ofSeconds(5), acquire, idle);
        });
    }
}
