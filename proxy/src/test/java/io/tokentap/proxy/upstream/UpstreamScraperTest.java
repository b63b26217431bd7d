package io.tokentap.proxy.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tokentap.core.prom.PromScrape;
import io.tokentap.core.prom.PromTextParser;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class UpstreamScraperTest {

    static final String VLLM = "vllm:kv_cache_usage_perc{engine=\"0\",model_name=\"m\"} 0.42\n"
            + "vllm:num_requests_running{engine=\"0\",model_name=\"m\"} 3.0\n"
            + "vllm:num_requests_waiting{engine=\"0\",model_name=\"m\"} 7.0\n"
            + "vllm:num_preemptions_total{engine=\"0\",model_name=\"m\"} 11.0\n";

    final AtomicLong clock = new AtomicLong(5_000_000_000L);
    final AtomicReference<String> body = new AtomicReference<>(VLLM);
    final AtomicInteger status = new AtomicInteger(200);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger hangs = new AtomicInteger();
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HttpServer server;
    ScheduledExecutorService scheduler;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/metrics", ex -> {
            if (hangs.get() > 0) {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status.get(), b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        server.start();
        scheduler = Executors.newSingleThreadScheduledExecutor();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
        scheduler.shutdownNow();
    }

    URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    UpstreamScraper scraper(Duration timeout) {
        ScraperConfig c = new ScraperConfig(true, null, null, null, Duration.ofSeconds(1), timeout, Duration.ofSeconds(3));
        return new UpstreamScraper(c, base(), scheduler, clock::get, registry);
    }

    PromScrape metrics() {
        return PromTextParser.parse(registry.scrape());
    }

    static double value(PromScrape s, String name) {
        return s.samples(name).get(0).value();
    }

    @Test
    void pollsNormalisesAndPublishes() throws Exception {
        UpstreamScraper scraper = scraper(Duration.ofMillis(800));
        scraper.pollNow().get(5, TimeUnit.SECONDS);

        assertThat(scraper.current().kvCacheUsage()).isEqualTo(0.42);
        assertThat(scraper.reachable()).isTrue();
        PromScrape s = metrics();
        assertThat(value(s, "tokentap_upstream_kv_cache_usage_ratio")).isEqualTo(0.42);
        assertThat(value(s, "tokentap_upstream_requests_running")).isEqualTo(3.0);
        assertThat(value(s, "tokentap_upstream_requests_waiting")).isEqualTo(7.0);
        assertThat(value(s, "tokentap_upstream_preemptions_total")).isEqualTo(11.0);
        assertThat(value(s, "tokentap_upstream_scrape_success")).isEqualTo(1.0);
        assertThat(value(s, "tokentap_upstream_scrape_age_seconds")).isEqualTo(0.0);
        assertThat(s.has("tokentap_gpu_utilization_ratio")).isTrue();
        assertThat(s.has("tokentap_gpu_memory_used_bytes")).isTrue();
        assertThat(s.has("tokentap_gpu_power_watts")).isTrue();
    }

    @Test
    void failedScrapesKeepTheLastValueUntilItIsStaleThenReportNaN() throws Exception {
        UpstreamScraper scraper = scraper(Duration.ofMillis(800));
        scraper.pollNow().get(5, TimeUnit.SECONDS);
        status.set(500);
        clock.addAndGet(Duration.ofSeconds(2).toNanos());
        scraper.pollNow().get(5, TimeUnit.SECONDS);

        PromScrape s = metrics();
        assertThat(value(s, "tokentap_upstream_scrape_success")).isEqualTo(0.0);
        assertThat(value(s, "tokentap_upstream_scrape_age_seconds")).isEqualTo(2.0);
        assertThat(value(s, "tokentap_upstream_kv_cache_usage_ratio")).isEqualTo(0.42);
        assertThat(scraper.reachable()).as("a 500 is still an answer").isTrue();

        clock.addAndGet(Duration.ofMillis(1500).toNanos());
        s = metrics();
        assertThat(value(s, "tokentap_upstream_kv_cache_usage_ratio")).isNaN();
        assertThat(value(s, "tokentap_upstream_requests_waiting")).isNaN();
        assertThat(scraper.current().kvCacheUsage()).isNaN();
        assertThat(scraper.age()).isEqualTo(Duration.ofMillis(3500));
    }

    @Test
    void unknownExpositionIsAFailure() throws Exception {
        body.set("process_cpu_seconds_total 1\n");
        UpstreamScraper scraper = scraper(Duration.ofMillis(800));
        scraper.pollNow().get(5, TimeUnit.SECONDS);
        assertThat(scraper.lastScrapeSucceeded()).isFalse();
        assertThat(scraper.current().any()).isFalse();
    }

    @Test
    void aHangingServerTimesOutAndOverlappingPollsAreSkipped() throws Exception {
        hangs.set(1);
        UpstreamScraper scraper = scraper(Duration.ofMillis(300));
        long t0 = System.nanoTime();
        var first = scraper.pollNow();
        // A second poll while the first is in flight returns at once and does not send another request.
        assertThat(scraper.pollNow()).isDone();
        first.get(5, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
        assertThat(scraper.lastScrapeSucceeded()).isFalse();
        assertThat(scraper.reachable()).isFalse();
    }

    @Test
    void connectionRefusedIsAFailure() throws Exception {
        ScraperConfig c = new ScraperConfig(true, URI.create("http://127.0.0.1:1/metrics"), null, null,
                Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofSeconds(3));
        UpstreamScraper scraper = new UpstreamScraper(c, base(), scheduler, clock::get, registry);
        scraper.pollNow().get(5, TimeUnit.SECONDS);
        assertThat(scraper.reachable()).isFalse();
        assertThat(value(metrics(), "tokentap_upstream_scrape_success")).isEqualTo(0.0);
    }

    @Test
    void dcgmGpuFiguresJoinTheUpstreamOnes() throws Exception {
        HttpServer dcgm = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        dcgm.createContext("/metrics", ex -> {
            byte[] b = ("DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",pod=\"me\"} 90\nDCGM_FI_DEV_GPU_UTIL{gpu=\"1\",pod=\"other\"} 10\n"
                    + "DCGM_FI_DEV_FB_USED{gpu=\"0\",pod=\"me\"} 1000\nDCGM_FI_DEV_POWER_USAGE{gpu=\"0\",pod=\"me\"} 300.5\n")
                    .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        dcgm.start();
        try {
            ScraperConfig c = new ScraperConfig(true, null,
                    URI.create("http://127.0.0.1:" + dcgm.getAddress().getPort() + "/metrics"), "me",
                    Duration.ofSeconds(1), Duration.ofMillis(800), Duration.ofSeconds(3));
            UpstreamScraper scraper = new UpstreamScraper(c, base(), scheduler, clock::get, registry);
            scraper.pollNow().get(5, TimeUnit.SECONDS);
            UpstreamFigures f = scraper.current();
            assertThat(f.kvCacheUsage()).isEqualTo(0.42);
            assertThat(f.gpuUtilization()).isEqualTo(0.9);
            assertThat(f.gpuMemoryUsedBytes()).isEqualTo(1000.0 * 1024 * 1024);
            assertThat(f.gpuPowerWatts()).isEqualTo(300.5);
            PromScrape s = metrics();
            assertThat(s.samples("tokentap_upstream_scrape_success")).hasSize(2);
            assertThat(value(s, "tokentap_gpu_power_watts")).isEqualTo(300.5);
        } finally {
            dcgm.stop(0);
        }
    }

    @Test
    void startPollsOnTheInterval() {
        UpstreamScraper scraper = scraper(Duration.ofMillis(800));
        clock.set(System.nanoTime());
        UpstreamScraper live = new UpstreamScraper(
                new ScraperConfig(true, null, null, null, Duration.ofMillis(200), Duration.ofMillis(150),
                        Duration.ofSeconds(1)), base(), scheduler, System::nanoTime,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        live.start();
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> live.current().requestsWaiting() == 7.0);
            body.set(VLLM.replace("waiting{engine=\"0\",model_name=\"m\"} 7.0", "waiting{engine=\"0\",model_name=\"m\"} 9.0"));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> live.current().requestsWaiting() == 9.0);
        } finally {
            live.close();
            scraper.close();
        }
    }

    @Test
    void configIsValidated() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ScraperConfig(true, null, null, null,
                        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(3)))
                .hasMessageContaining("timeout: PT2S (expected: > 0 and <= interval PT1S)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ScraperConfig(true, URI.create("ftp://x/m"),
                        null, null, Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofSeconds(3)))
                .hasMessageContaining("metricsUrl");
        assertThat(ScraperConfig.DEFAULT.metricsUrlFor(URI.create("http://127.0.0.1:8000/")))
                .isEqualTo(URI.create("http://127.0.0.1:8000/metrics"));
    }
}
