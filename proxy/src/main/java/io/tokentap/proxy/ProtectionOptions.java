package io.tokentap.proxy;

import io.tokentap.proxy.config.ProxyConfig;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The {@code tokentap proxy} flags of the commonly tuned {@code protection:} settings (limits, shedding, retries,
 * the breaker, timeouts, usage injection). Each overrides its setting in the YAML file; the rest of the section is
 * set in the file only. A picocli mixin of {@link ProxyCommand}.
 */
final class ProtectionOptions {

    @Option(names = "--tenant-header", paramLabel = "NAME",
            description = "Request header naming the tenant; default the API key, hashed (protection.tenants.header).")
    String tenantHeader;

    @Option(names = "--per-tenant-limits", negatable = true, fallbackValue = "true",
            description = "Apply the per-tenant limits below (protection.limits.perTenant; default off).")
    Boolean perTenantLimits;

    @Option(names = "--requests-per-minute", paramLabel = "N",
            description = "Requests per minute per tenant (protection.limits.requestsPerMinute; default 600).")
    String requestsPerMinute;

    @Option(names = "--tokens-per-minute", paramLabel = "N",
            description = "Estimated tokens per minute per tenant (protection.limits.tokensPerMinute; default 1000000).")
    String tokensPerMinute;

    @Option(names = "--streams-per-tenant", paramLabel = "N",
            description = "Concurrent streams per tenant (protection.limits.concurrentStreamsPerTenant; default 16).")
    String streamsPerTenant;

    @Option(names = "--max-streams", paramLabel = "N",
            description = "Streams in flight in the whole proxy; beyond, 503 (protection.limits.maxStreamsInFlight; default 10000).")
    String maxStreams;

    @Option(names = "--max-request-body", paramLabel = "BYTES",
            description = "Largest request body; larger gets 413 (protection.maxRequestBodyBytes; default 8MiB).")
    String maxRequestBody;

    @Option(names = "--inject-usage", negatable = true, fallbackValue = "true",
            description = "Ask the upstream for usage in streamed chat/completions (protection.injectUsage; default on).")
    Boolean injectUsage;

    @Option(names = "--shed", negatable = true, fallbackValue = "true",
            description = "503 while the server's KV cache or queue is full; needs --scrape"
                    + " (protection.shedding.enabled; default off).")
    Boolean shed;

    @Option(names = "--shed-kv-cache-on", paramLabel = "SHARE",
            description = "Start shedding at this KV-cache usage (protection.shedding.kvCacheOn; default 0.95).")
    String shedKvCacheOn;

    @Option(names = "--shed-kv-cache-off", paramLabel = "SHARE",
            description = "Stop shedding below this KV-cache usage (protection.shedding.kvCacheOff; default 0.85).")
    String shedKvCacheOff;

    @Option(names = "--shed-queue-on", paramLabel = "N",
            description = "Start shedding at this many waiting requests (protection.shedding.queueOn; default 64).")
    String shedQueueOn;

    @Option(names = "--shed-queue-off", paramLabel = "N",
            description = "Stop shedding below this many waiting requests (protection.shedding.queueOff; default 16).")
    String shedQueueOff;

    @Option(names = "--max-retries", paramLabel = "N",
            description = "Retries before the first response byte; 0 for none (protection.retry.maxRetries; default 2).")
    String maxRetries;

    @Option(names = "--retry-budget", paramLabel = "DURATION",
            description = "No retry starts after this long (protection.retry.budget; default 5s).")
    String retryBudget;

    @Option(names = "--breaker", negatable = true, fallbackValue = "true",
            description = "Fail fast with 503 while the upstream fails (protection.breaker.enabled; default on).")
    Boolean breaker;

    @Option(names = "--breaker-failure-rate", paramLabel = "PERCENT",
            description = "Failed attempts that open the breaker (protection.breaker.failureRateThreshold; default 50).")
    String breakerFailureRate;

    @Option(names = "--breaker-wait", paramLabel = "DURATION",
            description = "How long the breaker stays open before probing (protection.breaker.waitInOpen; default 10s).")
    String breakerWait;

    @Option(names = "--connect-timeout", paramLabel = "DURATION",
            description = "Longest wait for a TCP connect to the upstream (protection.timeouts.connect; default 5s).")
    String connectTimeout;

    @Option(names = "--first-byte-timeout", paramLabel = "DURATION",
            description = "Longest wait for the upstream's first response byte (protection.timeouts.firstByte; default 120s).")
    String firstByteTimeout;

    @Option(names = "--stream-idle-timeout", paramLabel = "DURATION",
            description = "Longest gap between two upstream reads of a response (protection.timeouts.idle; default 60s).")
    String streamIdleTimeout;

    @Option(names = "--total-timeout", paramLabel = "DURATION",
            description = "Longest a request may take in all (protection.timeouts.total; default 10m).")
    String totalTimeout;

    /** Adds the flags that were given to {@code o}, as overrides of their dotted settings. */
    void addTo(Map<String, ProxyConfig.Setting> o) {
        put(o, "protection.tenants.header", tenantHeader, "--tenant-header");
        put(o, "protection.limits.perTenant", perTenantLimits, "--per-tenant-limits");
        put(o, "protection.limits.requestsPerMinute", requestsPerMinute, "--requests-per-minute");
        put(o, "protection.limits.tokensPerMinute", tokensPerMinute, "--tokens-per-minute");
        put(o, "protection.limits.concurrentStreamsPerTenant", streamsPerTenant, "--streams-per-tenant");
        put(o, "protection.limits.maxStreamsInFlight", maxStreams, "--max-streams");
        put(o, "protection.maxRequestBodyBytes", maxRequestBody, "--max-request-body");
        put(o, "protection.injectUsage", injectUsage, "--inject-usage");
        put(o, "protection.shedding.enabled", shed, "--shed");
        put(o, "protection.shedding.kvCacheOn", shedKvCacheOn, "--shed-kv-cache-on");
        put(o, "protection.shedding.kvCacheOff", shedKvCacheOff, "--shed-kv-cache-off");
        put(o, "protection.shedding.queueOn", shedQueueOn, "--shed-queue-on");
        put(o, "protection.shedding.queueOff", shedQueueOff, "--shed-queue-off");
        put(o, "protection.retry.maxRetries", maxRetries, "--max-retries");
        put(o, "protection.retry.budget", retryBudget, "--retry-budget");
        put(o, "protection.breaker.enabled", breaker, "--breaker");
        put(o, "protection.breaker.failureRateThreshold", breakerFailureRate, "--breaker-failure-rate");
        put(o, "protection.breaker.waitInOpen", breakerWait, "--breaker-wait");
        put(o, "protection.timeouts.connect", connectTimeout, "--connect-timeout");
        put(o, "protection.timeouts.firstByte", firstByteTimeout, "--first-byte-timeout");
        put(o, "protection.timeouts.idle", streamIdleTimeout, "--stream-idle-timeout");
        put(o, "protection.timeouts.total", totalTimeout, "--total-timeout");
    }

    private static void put(Map<String, ProxyConfig.Setting> o, String path, Object value, String flag) {
        if (value != null) {
            o.put(path, new ProxyConfig.Setting(value.toString(), "flag " + flag));
        }
    }
}
