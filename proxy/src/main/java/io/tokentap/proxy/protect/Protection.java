package io.tokentap.proxy.protect;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpRequest;
import io.tokentap.proxy.metrics.ProxyMetrics;
import io.tokentap.proxy.protect.breaker.UpstreamBreaker;
import io.tokentap.proxy.protect.limit.Admission;
import io.tokentap.proxy.protect.limit.AdmissionController;
import io.tokentap.proxy.protect.limit.TokenEstimator;
import io.tokentap.proxy.protect.reject.RejectionResponses;
import io.tokentap.proxy.protect.retry.RetryPolicy;
import io.tokentap.proxy.protect.shed.LoadShedder;
import io.tokentap.proxy.protect.shed.UpstreamSignals;
import io.tokentap.proxy.protect.tenant.TenantResolver;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Everything that protects one upstream, built from one {@link ProtectionConfig} and shared by every channel of the
 * proxy: tenant identity, admission limits, load shedding, the retry policy, the circuit breaker and the rejection
 * writer. All members are thread-safe and non-blocking.
 *
 * <p>The relay's order: {@link io.tokentap.proxy.protect.admit.AdmissionHandler} buffers the request body (bounded)
 * and calls {@link #admit}; the relay then asks the {@link #breaker()} before each attempt, schedules retries with
 * the {@link #retries()} policy, and releases the admission's ticket with the real usage when the request ends.
 *
 * <pre>{@code
 * Protection protection = new Protection(config, metrics, scraperSignals, "127.0.0.1:8000", System::nanoTime,
 *         new Random(), ForkJoinPool.commonPool(), UpstreamBreaker.Listener.NONE);
 * }</pre>
 */
public final class Protection {

    private final ProtectionConfig config;
    private final TenantResolver tenants;
    private final TokenEstimator estimator;
    private final AdmissionController admission;
    private final LoadShedder shedder;
    private final UpstreamBreaker breaker;
    private final RetryPolicy retries;
    private final RejectionResponses rejections;
    private final LongSupplier nanoTime;
    private final ProtectionRecorder recorder;

    /**
     * @param upstream    a bounded name of the upstream, for the breaker
     * @param random      a thread-safe random source for retry jitter (seeded in tests)
     * @param maintenance where the tenant map's evictions run
     */
    public Protection(ProtectionConfig config, ProxyMetrics metrics, UpstreamSignals signals, String upstream,
                      LongSupplier nanoTime, RandomGenerator random, Executor maintenance,
                      UpstreamBreaker.Listener breakerListener) {
        this(config, metrics, ProtectionRecorder.NOOP, signals, upstream, nanoTime, random, maintenance,
                breakerListener);
    }

    /** As above, with a recorder of retries and breaker states (which also hears every breaker transition). */
    public Protection(ProtectionConfig config, ProxyMetrics metrics, ProtectionRecorder recorder,
                      UpstreamSignals signals, String upstream, LongSupplier nanoTime, RandomGenerator random,
                      Executor maintenance, UpstreamBreaker.Listener breakerListener) {
        this.config = Objects.requireNonNull(config, "config");
        this.recorder = Objects.requireNonNull(recorder, "recorder");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.tenants = new TenantResolver(config.tenants());
        this.estimator = new TokenEstimator(config.tokens());
        this.admission = new AdmissionController(config.limits(), nanoTime, maintenance);
        this.shedder = new LoadShedder(config.shedding(), signals);
        this.breaker = new UpstreamBreaker(upstream, config.breaker(), nanoTime, (name, from, to) -> {
            recorder.breakerState(name, to.name().toLowerCase(Locale.ROOT));
            breakerListener.stateChanged(name, from, to);
        });
        this.retries = new RetryPolicy(config.retry(), random);
        this.rejections = new RejectionResponses(metrics);
    }

    /**
     * Admits a fully read request, or says why not: shed load first (one read of the upstream's signals), then the
     * proxy's and the tenant's limits, tokenising the body only when the cheaper checks have passed.
     */
    public Admission admit(HttpRequest head, ByteBuf body) {
        if (shedder.shouldShed()) {
            return Admission.rejected(shedder.rejection());
        }
        String tenant = tenants.resolve(head.headers());
        return admission.tryAdmit(tenant, body, b -> estimator.estimate(b).total());
    }

    /**
     * The rejection {@link #admit} would give a request with these headers on its cheap checks (shed load, the
     * proxy's cap, the tenant's concurrent streams and requests per minute), or null when they pass; it takes no
     * slot and needs no body. The early path answers such a request before the HTTP codec reads it.
     */
    public Rejection refusal(TenantResolver.Headers headers) {
        if (shedder.shouldShed()) {
            return shedder.rejection();
        }
        return admission.refusal(() -> tenants.resolve(headers));
    }

    public ProtectionConfig config() {
        return config;
    }

    public TenantResolver tenants() {
        return tenants;
    }

    public TokenEstimator estimator() {
        return estimator;
    }

    public AdmissionController admission() {
        return admission;
    }

    public LoadShedder shedder() {
        return shedder;
    }

    public UpstreamBreaker breaker() {
        return breaker;
    }

    public RetryPolicy retries() {
        return retries;
    }

    public RejectionResponses rejections() {
        return rejections;
    }

    public ProtectionRecorder recorder() {
        return recorder;
    }

    public LongSupplier nanoTime() {
        return nanoTime;
    }
}
