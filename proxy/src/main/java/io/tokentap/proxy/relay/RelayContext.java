package io.tokentap.proxy.relay;

import com.fasterxml.jackson.core.JsonFactory;
import io.tokentap.proxy.capture.TrafficCapture;
import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.metrics.ProxyMetrics;
import io.tokentap.proxy.protect.Protection;
import io.tokentap.proxy.protect.tenant.TenantResolver;

/**
 * What every channel of one {@link ProxyServer} shares: immutable settings and thread-safe collaborators.
 * {@code protection} is null when the proxy runs without admission limits, retries, breaker and timeouts;
 * {@code capture} is {@link TrafficCapture#NONE} unless traffic is recorded ({@code tenants} names its tenants).
 */
record RelayContext(ProxyConfig config, ProxyMetrics metrics, UpstreamPool pool, TimingTap tap,
                    RequestLog requestLog, RelayErrors errors, JsonFactory json,
                    Protection protection, TrafficCapture capture, TenantResolver tenants) {
}
