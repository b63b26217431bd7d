package io.tokentap.proxy.protect;

import io.tokentap.proxy.config.ConfigNode;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the {@code protection:} section of the proxy's YAML (and flag overrides) into a {@link ProtectionConfig};
 * every setting is optional and defaults to {@link ProtectionConfig#defaults()}.
 *
 * <pre>
 * protection:
 *   maxRequestBodyBytes: 8MiB
 *   injectUsage: true                          # add stream_options.include_usage upstream, hide its chunk
 *   tenants:   { header: x-tenant-id }          # default: the API key
 *   limits:    { perTenant: true, requestsPerMinute: 600, tokensPerMinute: 200000,
 *                concurrentStreamsPerTenant: 8, maxStreamsInFlight: 10000, maxTenants: 100000,
 *                tenantIdleExpiry: 10m }
 *   tokens:    { encoding: o200k_base, defaultOutputTokens: 1024, maxExactChars: 2048, perMessageTokens: 4 }
 *   shedding:  { enabled: true, kvCacheOn: 0.95, kvCacheOff: 0.85, queueOn: 64, queueOff: 16, retryAfter: 1s }
 *   retry:     { maxRetries: 2, initialBackoff: 200ms, maxBackoff: 2s, multiplier: 2, budget: 5s,
 *                retryStatuses: [429, 503, 529], nonRetryableRoutes: [/v1/responses] }
 *   breaker:   { enabled: true, failureRateThreshold: 50, slidingWindowSize: 20, minimumCalls: 10,
 *                waitInOpen: 10s, probesInHalfOpen: 3 }
 *   timeouts:  { connect: 5s, firstByte: 120s, idle: 60s, total: 10m }
 * </pre>
 */
public final class ProtectionConfigReader {

    private ProtectionConfigReader() {
    }

    /** Builds the configuration from the {@code protection} section; errors name the setting and its origin. */
    public static ProtectionConfig from(ConfigNode p) {
        ProtectionConfig d = ProtectionConfig.defaults();
        ConfigNode t = p.section("tenants");
        ConfigNode l = p.section("limits");
        ConfigNode k = p.section("tokens");
        ConfigNode s = p.section("shedding");
        ConfigNode r = p.section("retry");
        ConfigNode b = p.section("breaker");
        ConfigNode o = p.section("timeouts");
        int maxBody = p.bytes("maxRequestBodyBytes", d.maxRequestBodyBytes());
        boolean injectUsage = p.bool("injectUsage", d.injectUsage());

        String header = t.string("header", d.tenants().header());

        ProtectionConfig.Limits dl = d.limits();
        boolean perTenant = l.bool("perTenant", dl.perTenant());
        String rpm = l.string("requestsPerMinute", Long.toString(dl.requestsPerMinute()));
        String tpm = l.string("tokensPerMinute", Long.toString(dl.tokensPerMinute()));
        int perTenantStreams = l.intValue("concurrentStreamsPerTenant", dl.concurrentStreamsPerTenant());
        int maxStreams = l.intValue("maxStreamsInFlight", dl.maxStreamsInFlight());
        int maxTenants = l.intValue("maxTenants", dl.maxTenants());
        Duration idleExpiry = l.duration("tenantIdleExpiry", dl.tenantIdleExpiry());

        ProtectionConfig.Tokens dk = d.tokens();
        String encoding = k.string("encoding", dk.encoding());
        int defaultOutput = k.intValue("defaultOutputTokens", (int) dk.defaultOutputTokens());
        int maxExact = k.intValue("maxExactChars", dk.maxExactChars());
        int perMessage = k.intValue("perMessageTokens", dk.perMessageTokens());

        ProtectionConfig.Shedding ds = d.shedding();
        boolean shed = s.bool("enabled", ds.enabled());
        String kvOn = s.string("kvCacheOn", Double.toString(ds.kvCacheOn()));
        String kvOff = s.string("kvCacheOff", Double.toString(ds.kvCacheOff()));
        int queueOn = s.intValue("queueOn", (int) ds.queueOn());
        int queueOff = s.intValue("queueOff", (int) ds.queueOff());
        Duration shedRetryAfter = s.duration("retryAfter", ds.retryAfter());

        ProtectionConfig.Retry dr = d.retry();
        int maxRetries = r.intValue("maxRetries", dr.maxRetries());
        Duration initial = r.duration("initialBackoff", dr.initialBackoff());
        Duration maxBackoff = r.duration("maxBackoff", dr.maxBackoff());
        String multiplier = r.string("multiplier", Double.toString(dr.multiplier()));
        Duration budget = r.duration("budget", dr.budget());
        List<String> statuses = r.strings("retryStatuses", dr.retryStatuses().stream().map(String::valueOf).toList());
        List<String> routes = r.strings("nonRetryableRoutes", dr.nonRetryableRoutes());

        ProtectionConfig.Breaker db = d.breaker();
        boolean breaker = b.bool("enabled", db.enabled());
        String threshold = b.string("failureRateThreshold", Float.toString(db.failureRateThreshold()));
        int window = b.intValue("slidingWindowSize", db.slidingWindowSize());
        int minimumCalls = b.intValue("minimumCalls", db.minimumCalls());
        Duration waitInOpen = b.duration("waitInOpen", db.waitInOpen());
        int probes = b.intValue("probesInHalfOpen", db.probesInHalfOpen());

        ProtectionConfig.Timeouts dt = d.timeouts();
        Duration connect = o.duration("connect", dt.connect());
        Duration firstByte = o.duration("firstByte", dt.firstByte());
        Duration idle = o.duration("idle", dt.idle());
        Duration total = o.duration("total", dt.total());

        for (ConfigNode n : List.of(t, l, k, s, r, b, o)) {
            n.rejectUnknown();
        }
        // Built on the protection node: a validation message ("limits.requestsPerMinute: -1 (expected: > 0)") then
        // reads "protection.limits.requestsPerMinute: ...".
        return p.build(() -> new ProtectionConfig(
                new ProtectionConfig.Tenants(header),
                new ProtectionConfig.Limits(perTenant, number("limits.requestsPerMinute", rpm),
                        number("limits.tokensPerMinute", tpm), perTenantStreams, maxStreams, maxTenants, idleExpiry),
                new ProtectionConfig.Tokens(encoding, defaultOutput, maxExact, perMessage),
                new ProtectionConfig.Shedding(shed, decimal("shedding.kvCacheOn", kvOn),
                        decimal("shedding.kvCacheOff", kvOff), queueOn, queueOff, shedRetryAfter),
                new ProtectionConfig.Retry(maxRetries, initial, maxBackoff, decimal("retry.multiplier", multiplier),
                        budget, statuses(statuses), routes),
                new ProtectionConfig.Breaker(breaker, (float) decimal("breaker.failureRateThreshold", threshold),
                        window, minimumCalls, waitInOpen, probes),
                new ProtectionConfig.Timeouts(connect, firstByte, idle, total),
                maxBody, injectUsage));
    }

    private static long number(String name, String v) {
        try {
            return Long.parseLong(v.trim().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": '" + v + "' (expected: an integer)", e);
        }
    }

    private static double decimal(String name, String v) {
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": '" + v + "' (expected: a number)", e);
        }
    }

    private static Set<Integer> statuses(List<String> values) {
        Set<Integer> out = new LinkedHashSet<>();
        for (String v : values) {
            out.add((int) number("retry.retryStatuses", v));
        }
        return out;
    }
}
