package io.tokentap.loadgen.server;

import io.tokentap.core.prom.PromTextParser;
import io.tokentap.loadgen.result.StageStats;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Samples the target's Prometheus endpoint (the proxy's admin port or the server's own {@code /metrics}) during a
 * stage and keeps, per figure, the maximum and the mean over the stage's samples. Runs on the reporting thread, never
 * on an event loop: the scrape blocks for at most its timeout. A failed scrape is counted, never fatal.
 */
public final class ServerSampler {

    private final HttpClient client;
    private final URI url;
    private final Duration timeout;
    private final Map<String, double[]> sums = new LinkedHashMap<>();
    private long samples;
    private long failures;

    public ServerSampler(HttpClient client, URI url, Duration timeout) {
        this.client = client;
        this.url = url;
        this.timeout = timeout;
    }

    /** Scrapes once and adds the figures to the current stage's. */
    public synchronized void sample() {
        try {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(url).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                failures++;
                return;
            }
            add(ServerFigures.of(PromTextParser.parse(r.body())));
        } catch (IOException e) {
            failures++;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    synchronized void add(Map<String, Double> figures) {
        samples++;
        figures.forEach((k, v) -> {
            double[] s = sums.computeIfAbsent(k, x -> new double[] {0, Double.NEGATIVE_INFINITY, 0});
            s[0] += v;
            s[1] = Math.max(s[1], v);
            s[2]++;
        });
    }

    /** Forgets the samples taken so far in this stage (its warm-up). */
    public synchronized void discard() {
        sums.clear();
        samples = 0;
        failures = 0;
    }

    /** Writes the stage's figures ({@code kv_cache_usage_max}, {@code _mean}, ...) into {@code stats} and starts over. */
    public synchronized void finishStage(StageStats stats) {
        sums.forEach((k, s) -> {
            stats.server().put(k + "_max", s[1]);
            stats.server().put(k + "_mean", s[0] / s[2]);
        });
        stats.server().put("scrapes", (double) samples);
        stats.server().put("scrape_failures", (double) failures);
        sums.clear();
        samples = 0;
        failures = 0;
    }
}
