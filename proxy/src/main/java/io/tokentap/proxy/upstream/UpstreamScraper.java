package io.tokentap.proxy.upstream;

import io.micrometer.core.instrument.MeterRegistry;
import io.tokentap.core.prom.PromTextParser;
import io.tokentap.proxy.metrics.TokentapMeters;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls the inference server's {@code /metrics} (and optionally a DCGM exporter) on an interval, normalises what it
 * finds ({@link UpstreamNormalizer}) and publishes it as the {@code tokentap_upstream_*} and {@code tokentap_gpu_*}
 * gauges; other components read it as an {@link UpstreamState}.
 *
 * <p>Polls run on the JDK HTTP client, asynchronously, with a timeout, on the given scheduler (never the relay's
 * event loops); a poll that is still running when the next one is due is skipped, not queued. Figures older than
 * {@code staleAfter} read as {@code NaN}, so a dead exporter never shows as a current KV-cache figure.
 *
 * <pre>{@code
 * UpstreamScraper scraper = new UpstreamScraper(config.scraper(), upstreamUri, adminGroup, System::nanoTime, registry);
 * scraper.start();
 * ...
 * scraper.close();
 * }</pre>
 */
public final class UpstreamScraper implements UpstreamState, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UpstreamScraper.class);

    private final ScraperConfig config;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier nanoTime;
    private final HttpClient client;
    private final Source upstream;
    private final Source dcgm;
    private final long startNanos;
    private ScheduledFuture<?> task;

    public UpstreamScraper(ScraperConfig config, URI upstreamBase, ScheduledExecutorService scheduler,
                           LongSupplier nanoTime, MeterRegistry registry) {
        this.config = Objects.requireNonNull(config, "config");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.client = HttpClient.newBuilder()
                .connectTimeout(config.timeout())
                .executor(scheduler)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.startNanos = nanoTime.getAsLong();
        this.upstream = new Source("upstream", config.metricsUrlFor(upstreamBase), null);
        this.dcgm = config.dcgmUrl() == null ? null : new Source("dcgm", config.dcgmUrl(), config.dcgmPod());
        register(registry);
    }

    private void register(MeterRegistry registry) {
        gauge(registry, TokentapMeters.UPSTREAM_KV_CACHE_USAGE, UpstreamFigures::kvCacheUsage);
        gauge(registry, TokentapMeters.UPSTREAM_REQUESTS_RUNNING, UpstreamFigures::requestsRunning);
        gauge(registry, TokentapMeters.UPSTREAM_REQUESTS_WAITING, UpstreamFigures::requestsWaiting);
        TokentapMeters.UPSTREAM_PREEMPTIONS.functionCounter(this, s -> s.current().preemptions()).register(registry);
        gauge(registry, TokentapMeters.GPU_UTILIZATION, UpstreamFigures::gpuUtilization);
        gauge(registry, TokentapMeters.GPU_MEMORY_USED, UpstreamFigures::gpuMemoryUsedBytes);
        gauge(registry, TokentapMeters.GPU_POWER, UpstreamFigures::gpuPowerWatts);
        for (Source s : dcgm == null ? new Source[] {upstream} : new Source[] {upstream, dcgm}) {
            TokentapMeters.UPSTREAM_SCRAPE_SUCCESS.gauge(s, x -> x.lastOk ? 1 : 0).tag("source", s.name)
                    .strongReference(true).register(registry);
            TokentapMeters.UPSTREAM_SCRAPE_AGE.gauge(s, this::ageSeconds).tag("source", s.name)
                    .strongReference(true).register(registry);
        }
    }

    private void gauge(MeterRegistry registry, TokentapMeters meter, ToDoubleFunction<UpstreamFigures> f) {
        meter.gauge(this, s -> f.applyAsDouble(s.current())).strongReference(true).register(registry);
    }

    /** Starts polling: the first poll at once, then every interval. */
    public synchronized void start() {
        if (!config.enabled() || task != null) {
            return;
        }
        long period = config.interval().toNanos();
        task = scheduler.scheduleAtFixedRate(this::pollAll, 0, period, TimeUnit.NANOSECONDS);
    }

    /** Runs one poll of every source now; the returned value completes when they are done. For tests and start-up. */
    public java.util.concurrent.CompletableFuture<Void> pollNow() {
        if (dcgm == null) {
            return poll(upstream);
        }
        return java.util.concurrent.CompletableFuture.allOf(poll(upstream), poll(dcgm));
    }

    private void pollAll() {
        poll(upstream);
        if (dcgm != null) {
            poll(dcgm);
        }
    }

    private java.util.concurrent.CompletableFuture<Void> poll(Source s) {
        if (!s.inFlight.compareAndSet(false, true)) {
            return java.util.concurrent.CompletableFuture.completedFuture(null); // the previous poll is still running
        }
        HttpRequest request = HttpRequest.newBuilder(s.url).timeout(config.timeout())
                .header("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1").GET().build();
        try {
            return client.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                    .handle((response, error) -> {
                        try {
                            complete(s, response, error);
                        } finally {
                            s.inFlight.set(false);
                        }
                        return null;
                    });
        } catch (RuntimeException e) {
            s.inFlight.set(false);
            complete(s, null, e);
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
    }

    private void complete(Source s, HttpResponse<String> response, Throwable error) {
        long now = nanoTime.getAsLong();
        if (response != null) {
            s.lastAnswerNanos = now;
        }
        if (error != null || response == null || response.statusCode() != 200) {
            fail(s, error != null ? error.toString() : "HTTP " + (response == null ? "-" : response.statusCode()));
            return;
        }
        UpstreamFigures f;
        try {
            f = UpstreamNormalizer.normalize(PromTextParser.parse(response.body()), s.pod);
        } catch (RuntimeException e) {
            fail(s, e.toString());
            return;
        }
        if (!f.any()) {
            fail(s, "no known metric in the exposition");
            return;
        }
        s.lastSuccessNanos = now;
        s.figures = f;
        s.lastOk = true;
        s.loggedFailure = false;
    }

    private void fail(Source s, String why) {
        s.lastOk = false;
        if (!s.loggedFailure) {
            // Logged once per run of failures: a dead exporter polled every second must not flood the log.
            log.warn("scrape of {} ({}) failed: {}", s.name, s.url, why);
            s.loggedFailure = true;
        }
    }

    @Override
    public UpstreamFigures current() {
        long now = nanoTime.getAsLong();
        UpstreamFigures f = fresh(upstream, now);
        if (dcgm != null) {
            UpstreamFigures gpu = fresh(dcgm, now);
            f = f.withGpuFrom(gpu);
        }
        return f;
    }

    private UpstreamFigures fresh(Source s, long now) {
        UpstreamFigures f = s.figures;
        if (f == null || now - s.lastSuccessNanos > config.staleAfter().toNanos()) {
            return UpstreamFigures.UNKNOWN;
        }
        return f;
    }

    @Override
    public boolean reachable() {
        long last = upstream.lastAnswerNanos;
        return last != Long.MIN_VALUE && nanoTime.getAsLong() - last <= config.staleAfter().toNanos();
    }

    @Override
    public Duration age() {
        long last = upstream.lastSuccessNanos;
        return last == Long.MIN_VALUE ? null : Duration.ofNanos(nanoTime.getAsLong() - last);
    }

    /** Whether the last scrape of the upstream succeeded. */
    public boolean lastScrapeSucceeded() {
        return upstream.lastOk;
    }

    private double ageSeconds(Source s) {
        long last = s.lastSuccessNanos == Long.MIN_VALUE ? startNanos : s.lastSuccessNanos;
        return (nanoTime.getAsLong() - last) / 1e9;
    }

    @Override
    public synchronized void close() {
        if (task != null) {
            task.cancel(false);
            task = null;
        }
    }

    /** One polled URL. Written by the poll's completion thread, read by scrapes and by the relay: volatile. */
    private static final class Source {
        final String name;
        final URI url;
        final String pod;
        final AtomicBoolean inFlight = new AtomicBoolean();
        volatile UpstreamFigures figures;
        volatile long lastSuccessNanos = Long.MIN_VALUE;
        volatile long lastAnswerNanos = Long.MIN_VALUE;
        volatile boolean lastOk;
        volatile boolean loggedFailure;

        Source(String name, URI url, String pod) {
            this.name = name;
            this.url = url;
            this.pod = pod;
        }
    }
}
