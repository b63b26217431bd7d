package io.tokentap.loadgen;

import io.tokentap.loadgen.plan.ClientSpec;
import io.tokentap.core.timeline.Slo;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options shared by {@code run} and {@code replay}: the target, output, client behaviour and SLOs. */
public final class LoadOptions {

    @Option(names = "--target", required = true, paramLabel = "URL", description = "The server under test, e.g. http://127.0.0.1:8000.")
    String target;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where results.json, results.csv, intervals.hlog and report.html go.")
    java.nio.file.Path out;

    @Option(names = "--model", paramLabel = "NAME", description = "The model name sent in every request.")
    String model;

    @Option(names = "--requests", paramLabel = "N", description = "Stop after N requests (default: the plan's, else 10,000,000).")
    Long requests;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed for schedules and workloads (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--metrics-url", paramLabel = "URL", description = "The target's Prometheus endpoint, sampled each second for KV-cache usage, queue depth and GPU figures.")
    String metricsUrl;

    @Option(names = "--timeout", converter = DurationConverter.class, paramLabel = "D", description = "Request timeout (default: 120s).")
    Duration timeout;

    @Option(names = "--max-connections", paramLabel = "N", description = "Connection limit; requests due while all are busy wait (default: 10000).")
    Integer maxConnections;

    @Option(names = "--abort-after-tokens", paramLabel = "N", description = "Cancel each stream after N content events.")
    Long abortAfterTokens;

    @Option(names = "--abort-after", converter = DurationConverter.class, paramLabel = "D", description = "Cancel each stream D after its send.")
    Duration abortAfter;

    @Option(names = "--read-pause", converter = DurationConverter.class, paramLabel = "D", description = "Slow reader: pause D after every read.")
    Duration readPause;

    @Option(names = "--header", paramLabel = "NAME=VALUE", description = "A header sent with every request (repeatable).")
    Map<String, String> headers = new LinkedHashMap<>();

    @Option(names = "--tenant-header", paramLabel = "NAME", description = "The header that carries tenant keys.")
    String tenantHeader;

    @Option(names = "--tenant-keys", split = ",", paramLabel = "K1,K2", description = "Tenant keys, used in turn.")
    List<String> tenantKeys;

    @Option(names = "--event-loops", paramLabel = "N", description = "Connection threads (default: 1).")
    Integer eventLoops;

    @Option(names = "--ignore-eos", description = "Ask the server to generate exactly max_tokens (vLLM, SGLang).")
    boolean ignoreEos;

    @Option(names = "--slo-ttft", converter = DurationConverter.class, paramLabel = "D", description = "Goodput SLO on TTFT.")
    Duration sloTtft;

    @Option(names = "--slo-tpot", converter = DurationConverter.class, paramLabel = "D", description = "Goodput SLO on TPOT.")
    Duration sloTpot;

    @Option(names = "--slo-e2e", converter = DurationConverter.class, paramLabel = "D", description = "Goodput SLO on end-to-end latency.")
    Duration sloE2e;

    @Option(names = "--slo-max-stall", converter = DurationConverter.class, paramLabel = "D", description = "Smoothness SLO: no gap between tokens above D.")
    Duration sloMaxStall;

    @Option(names = "--price-input", defaultValue = "0", paramLabel = "USD", description = "Price per million input tokens, for the cost per request.")
    double priceInput;

    @Option(names = "--price-output", defaultValue = "0", paramLabel = "USD", description = "Price per million output tokens, for the cost per request.")
    double priceOutput;

    @Option(names = "--min-goodput", paramLabel = "PCT", description = "Exit 1 when the run's goodput is below PCT per cent.")
    Double minGoodput;

    @Option(names = "--max-client-lag", converter = DurationConverter.class, paramLabel = "D",
            description = "A stage is client-bound when the load generator's dispatch or event-loop lag p99 exceeds D"
                    + " (default: 5ms); raise it on a shared, noisy machine.")
    Duration maxClientLag;

    @Option(names = "--report", paramLabel = "FILE", description = "Where the HTML report goes (default: DIR/report.html).")
    java.nio.file.Path report;

    @Option(names = "--no-report", description = "Write no HTML report.")
    boolean noReport;

    @Option(names = "--target-rps", paramLabel = "N", description = "In the report: size for this many requests/s with Little's law.")
    Double targetRps;

    /** The plan's client settings with the command line's on top. */
    ClientSpec client(ClientSpec base) {
        Map<String, String> h = new LinkedHashMap<>(base.headers());
        h.putAll(headers);
        return new ClientSpec(
                timeout != null ? timeout : base.timeout(),
                abortAfterTokens != null ? abortAfterTokens : base.abortAfterTokens(),
                abortAfter != null ? abortAfter : base.abortAfter(),
                readPause != null ? readPause : base.readPause(),
                maxConnections != null ? maxConnections : base.maxConnections(),
                base.maxQueue(), h,
                tenantHeader != null ? tenantHeader : base.tenantHeader(),
                tenantKeys != null ? tenantKeys : base.tenantKeys(),
                eventLoops != null ? eventLoops : base.eventLoops());
    }

    /** The plan's SLOs with the command line's on top. */
    Slo slo(Slo base) {
        return new Slo(sloTtft != null ? sloTtft : base.ttft(), sloTpot != null ? sloTpot : base.tpot(),
                sloE2e != null ? sloE2e : base.e2e(), sloMaxStall != null ? sloMaxStall : base.maxStall());
    }
}
