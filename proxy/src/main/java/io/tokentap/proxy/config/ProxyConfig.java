package io.tokentap.proxy.config;

import io.tokentap.proxy.admin.AdminConfig;
import io.tokentap.proxy.capture.CaptureConfig;
import io.tokentap.proxy.metrics.MetricsConfig;
import io.tokentap.proxy.protect.ProtectionConfig;
import io.tokentap.proxy.protect.ProtectionConfigReader;
import io.tokentap.proxy.upstream.ScraperConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/**
 * The whole configuration of {@code tokentap proxy}: one record per YAML section. Each section reads and validates
 * itself ({@code XConfig.from(ConfigNode)}); a new section (metrics, limits, capture...) is one more component here
 * and one more line in {@link #from}, and unknown sections or keys are rejected by name.
 *
 * <pre>{@code
 * ConfigNode node = ConfigLoader.load(Path.of("config/proxy.yaml"));
 * node.override("upstream.url", "http://127.0.0.1:8000", "flag --upstream");
 * ProxyConfig config = ProxyConfig.from(node);
 * }</pre>
 */
public record ProxyConfig(ServerConfig server, UpstreamConfig upstream, RelayConfig relay, LogConfig log,
                          AdminConfig admin, MetricsConfig metrics, ScraperConfig scraper,
                          ProtectionConfig protection, CaptureConfig capture) {

    public ProxyConfig {
        if (server == null) {
            throw new IllegalArgumentException("server: missing");
        }
        if (upstream == null) {
            throw new IllegalArgumentException("upstream: missing (expected: a section with url)");
        }
        if (relay == null) {
            throw new IllegalArgumentException("relay: missing");
        }
        if (log == null) {
            throw new IllegalArgumentException("log: missing");
        }
        if (admin == null) {
            throw new IllegalArgumentException("admin: missing");
        }
        if (metrics == null) {
            throw new IllegalArgumentException("metrics: missing");
        }
        if (scraper == null) {
            throw new IllegalArgumentException("scraper: missing");
        }
        if (protection == null) {
            throw new IllegalArgumentException("protection: missing");
        }
        if (capture == null) {
            throw new IllegalArgumentException("capture: missing");
        }
        // One connect timeout: the request timeouts' (protection.timeouts.connect) is what the pool connects with.
        upstream = upstream.withConnectTimeout(protection.timeouts().connect());
    }

    /** All sections but capture, which is off. */
    public ProxyConfig(ServerConfig server, UpstreamConfig upstream, RelayConfig relay, LogConfig log,
                       AdminConfig admin, MetricsConfig metrics, ScraperConfig scraper, ProtectionConfig protection) {
        this(server, upstream, relay, log, admin, metrics, scraper, protection, CaptureConfig.OFF);
    }

    /** All sections but protection, which takes its defaults. */
    public ProxyConfig(ServerConfig server, UpstreamConfig upstream, RelayConfig relay, LogConfig log,
                       AdminConfig admin, MetricsConfig metrics, ScraperConfig scraper) {
        this(server, upstream, relay, log, admin, metrics, scraper, ProtectionConfig.defaults());
    }

    /** The relay's sections, with the observability sections at their defaults. */
    public ProxyConfig(ServerConfig server, UpstreamConfig upstream, RelayConfig relay, LogConfig log) {
        this(server, upstream, relay, log, AdminConfig.DEFAULT, MetricsConfig.DEFAULT, ScraperConfig.DEFAULT,
                ProtectionConfig.defaults());
    }

    /** Defaults around an upstream URL, listening on {@code 127.0.0.1:0}: handy for tests and embedding. */
    public static ProxyConfig forUpstream(String upstreamUrl) {
        return new ProxyConfig(ServerConfig.defaults().withListen(new HostPort("127.0.0.1", 0)),
                UpstreamConfig.of(URI.create(upstreamUrl)), RelayConfig.defaults(), LogConfig.defaults());
    }

    public ProxyConfig withServer(ServerConfig s) {
        return new ProxyConfig(s, upstream, relay, log, admin, metrics, scraper, protection, capture);
    }

    public ProxyConfig withUpstream(UpstreamConfig u) {
        return new ProxyConfig(server, u, relay, log, admin, metrics, scraper, protection, capture);
    }

    public ProxyConfig withRelay(RelayConfig r) {
        return new ProxyConfig(server, upstream, r, log, admin, metrics, scraper, protection, capture);
    }

    public ProxyConfig withLog(LogConfig l) {
        return new ProxyConfig(server, upstream, relay, l, admin, metrics, scraper, protection, capture);
    }

    public ProxyConfig withAdmin(AdminConfig a) {
        return new ProxyConfig(server, upstream, relay, log, a, metrics, scraper, protection, capture);
    }

    public ProxyConfig withMetrics(MetricsConfig m) {
        return new ProxyConfig(server, upstream, relay, log, admin, m, scraper, protection, capture);
    }

    public ProxyConfig withScraper(ScraperConfig s) {
        return new ProxyConfig(server, upstream, relay, log, admin, metrics, s, protection, capture);
    }

    public ProxyConfig withProtection(ProtectionConfig p) {
        return new ProxyConfig(server, upstream, relay, log, admin, metrics, scraper, p, capture);
    }

    public ProxyConfig withCapture(CaptureConfig c) {
        return new ProxyConfig(server, upstream, relay, log, admin, metrics, scraper, protection, c);
    }

    /** Builds the configuration from a node tree (file plus overrides), validating every section. */
    public static ProxyConfig from(ConfigNode root) {
        ServerConfig server = ServerConfig.from(root.section("server"));
        UpstreamConfig upstream = UpstreamConfig.from(root.section("upstream"));
        RelayConfig relay = RelayConfig.from(root.section("relay"));
        LogConfig log = LogConfig.from(root.section("log"));
        AdminConfig admin = AdminConfig.from(root.section("admin"));
        MetricsConfig metrics = MetricsConfig.from(root.section("metrics"));
        ScraperConfig scraper = ScraperConfig.from(root.section("scraper"));
        ProtectionConfig protection = ProtectionConfigReader.from(root.section("protection"));
        CaptureConfig capture = CaptureConfig.from(root.section("capture"));
        return root.build(() -> new ProxyConfig(server, upstream, relay, log, admin, metrics, scraper,
                protection, capture));
    }

    /**
     * Loads the file (if any), applies the overrides (dotted path to value, each with its origin such as
     * "flag --upstream"), and validates.
     */
    public static ProxyConfig load(Path file, Map<String, Setting> overrides) {
        ConfigNode root = file == null ? ConfigNode.empty() : ConfigLoader.load(file);
        overrides.forEach((path, o) -> root.override(path, o.value(), o.origin()));
        return from(root);
    }

    /** A value set outside the file (a String, or a List of Strings for a list setting), and where it came from. */
    public record Setting(Object value, String origin) { }
}
