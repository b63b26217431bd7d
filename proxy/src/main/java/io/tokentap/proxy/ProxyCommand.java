package io.tokentap.proxy;

import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.Future;
import io.tokentap.net.NettyDefaults;
import io.tokentap.net.Transports;
import io.tokentap.proxy.admin.AdminServer;
import io.tokentap.proxy.admin.ReadinessCheck;
import io.tokentap.proxy.capture.CaptureWriter;
import io.tokentap.proxy.config.ConfigException;
import io.tokentap.proxy.config.ProxyConfig;
import io.tokentap.proxy.metrics.MicrometerProxyMetrics;
import io.tokentap.proxy.protect.Protection;
import io.tokentap.proxy.protect.breaker.UpstreamBreaker;
import io.tokentap.proxy.protect.shed.UpstreamSignals;
import io.tokentap.proxy.protect.shed.UpstreamStateSignals;
import io.tokentap.proxy.relay.ProxyServer;
import io.tokentap.proxy.upstream.UpstreamScraper;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tokentap proxy}: the sidecar. Settings come from {@code --config FILE} (YAML) and from flags; a flag wins
 * over the file. A bad setting stops start-up with a message naming the file line or the flag, the setting and what
 * was expected (exit code 2).
 */
@Command(
        name = "proxy",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Runs the sidecar proxy in front of an inference server.",
            "",
            "Relays every request without buffering streamed responses, and measures",
            "TTFB, TTFT, ITL, TPOT and tokens of each.",
            "Settings come from --config FILE (YAML, see config/proxy.yaml) and from",
            "these flags; a flag wins over the file."
        })
public final class ProxyCommand implements Callable<Integer> {

    /** The most each shutdown step after the drain may take (see {@link ShutdownSequence}). */
    static final Duration CLOSE_LIMIT = Duration.ofSeconds(3);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file.")
    Path configFile;

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "Address to accept client traffic on (server.listen; default 0.0.0.0:8080).")
    String listen;

    @Option(names = "--event-loops", paramLabel = "N",
            description = "Event loops (threads) relaying traffic (server.eventLoops; default 0: one per processor).")
    String eventLoops;

    @Option(names = "--drain-timeout", paramLabel = "DURATION",
            description = "On shutdown, how long streams in flight may finish (server.drainTimeout; default 25s).")
    String drainTimeout;

    @Option(names = "--upstream", paramLabel = "URL",
            description = "The inference server, e.g. http://127.0.0.1:8000 (upstream.url).")
    String upstream;

    @Option(names = "--log-requests", negatable = true, fallbackValue = "true",
            description = "Print one JSON line per finished request with its timing figures (log.requests).")
    Boolean logRequests;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "Most upstream connections open at once (upstream.maxConnections).")
    String maxConnections;

    @Option(names = "--max-pending-acquires", paramLabel = "N",
            description = "Requests that may wait for a free upstream connection, per event loop "
                    + "(upstream.maxPendingAcquires).")
    String maxPendingAcquires;

    @Option(names = "--acquire-timeout", paramLabel = "DURATION",
            description = "How long a request waits for a free upstream connection (upstream.acquireTimeout).")
    String acquireTimeout;

    @Option(names = "--idle-timeout", paramLabel = "DURATION",
            description = "Close an unused upstream connection after this long (upstream.idleTimeout; default 4s).")
    String idleTimeout;

    @Option(names = "--max-initial-line", paramLabel = "BYTES",
            description = "Longest request line accepted (server.maxInitialLineBytes).")
    String maxInitialLine;

    @Option(names = "--max-header-size", paramLabel = "BYTES",
            description = "Largest request header block accepted (server.maxHeaderBytes).")
    String maxHeaderSize;

    @Option(names = "--write-buffer-low", paramLabel = "BYTES",
            description = "Resume reading a peer below this many queued bytes (relay.writeBufferLowBytes).")
    String writeBufferLow;

    @Option(names = "--write-buffer-high", paramLabel = "BYTES",
            description = "Pause reading a peer above this many queued bytes (relay.writeBufferHighBytes).")
    String writeBufferHigh;

    @Option(names = "--read-buffer", paramLabel = "BYTES",
            description = "Largest single read from the upstream (relay.readBufferBytes).")
    String readBuffer;

    @Option(names = "--model-peek", paramLabel = "BYTES",
            description = "How far into a request body to look for \"model\" (relay.modelPeekBytes).")
    String modelPeek;

    @Option(names = "--tap-max-bytes", paramLabel = "BYTES",
            description = "Longest SSE line or largest JSON body the timing tap decodes (relay.tapMaxBytes).")
    String tapMaxBytes;

    @Option(names = "--preserve-host", negatable = true, fallbackValue = "true",
            description = "Send the client's Host header upstream (relay.preserveHost).")
    Boolean preserveHost;

    @Option(names = "--admin", paramLabel = "HOST:PORT",
            description = "Address of /metrics, /healthz and /readyz (admin.listen; default 127.0.0.1:9464).")
    String admin;

    @Option(names = "--scrape", negatable = true, fallbackValue = "true",
            description = "Poll the inference server's metrics for KV cache, queue and GPU figures (scraper.enabled).")
    Boolean scrape;

    @Option(names = "--scrape-url", paramLabel = "URL",
            description = "The inference server's metrics URL (scraper.metricsUrl; default <upstream>/metrics).")
    String scrapeUrl;

    @Option(names = "--dcgm-url", paramLabel = "URL",
            description = "A DCGM exporter's metrics URL for GPU figures (scraper.dcgmUrl).")
    String dcgmUrl;

    @Option(names = "--dcgm-pod", paramLabel = "POD",
            description = "Keep only the GPUs the DCGM exporter attributes to this pod (scraper.dcgmPod).")
    String dcgmPod;

    @Option(names = "--scrape-interval", paramLabel = "DURATION",
            description = "How often to poll the metrics (scraper.interval; default 1s).")
    String scrapeInterval;

    @Option(names = "--capture", paramLabel = "DIR",
            description = "Record sampled requests as capture files in DIR, for tokentap replay (capture.dir).")
    String capture;

    @Option(names = "--capture-redaction", paramLabel = "MODE",
            description = "What a record keeps of the body: full, shape (no text; default) or none (capture.redaction).")
    String captureRedaction;

    @Option(names = "--capture-sample", paramLabel = "SHARE",
            description = "Share of requests recorded, e.g. 0.1 (capture.sample; default 1).")
    String captureSample;

    @Option(names = "--scrape-timeout", paramLabel = "DURATION",
            description = "Timeout of one poll (scraper.timeout; at most the interval).")
    String scrapeTimeout;

    @Option(names = "--scrape-stale-after", paramLabel = "DURATION",
            description = "Age after which scraped figures read as unknown (scraper.staleAfter).")
    String scrapeStaleAfter;

    @Option(names = "--models", paramLabel = "MODEL", split = ",",
            description = "Allow-list of model label values, comma-separated; others are labelled other"
                    + " (metrics.models).")
    List<String> models;

    @Option(names = "--metrics-window", paramLabel = "DURATION",
            description = "Span of the exact windowed TTFT quantiles and ITL CV (metrics.window; default 1m).")
    String metricsWindow;

    @Option(names = "--tenant-label", negatable = true, fallbackValue = "true",
            description = "Label counters with the hashed tenant (metrics.tenantLabel).")
    Boolean tenantLabel;

    @Option(names = "--tenant-top-n", paramLabel = "N",
            description = "Tenants that get a label of their own; the rest share other (metrics.tenantTopN).")
    String tenantTopN;

    @Option(names = "--node-header", paramLabel = "NAME",
            description = "Request header naming the pipeline node, read into a bounded node label; empty for no node"
                    + " label (metrics.nodeHeader; default x-tokentap-node).")
    String nodeHeader;

    @Option(names = "--nodes", paramLabel = "NODE", split = ",",
            description = "Allow-list of node label values, comma-separated; others are labelled other. Without it,"
                    + " the first --node-limit values seen (metrics.nodes).")
    List<String> nodes;

    @Option(names = "--node-limit", paramLabel = "N",
            description = "Nodes that get a label of their own when there is no allow-list; the rest share other"
                    + " (metrics.nodeLimit; default 10).")
    String nodeLimit;

    @CommandLine.Mixin
    ProtectionOptions protectionOptions = new ProtectionOptions();

    /** The flags as overrides of dotted settings, each remembering its flag for error messages. */
    Map<String, ProxyConfig.Setting> overrides() {
        Map<String, ProxyConfig.Setting> o = new LinkedHashMap<>();
        put(o, "server.listen", listen, "--listen");
        put(o, "server.maxInitialLineBytes", maxInitialLine, "--max-initial-line");
        put(o, "server.maxHeaderBytes", maxHeaderSize, "--max-header-size");
        put(o, "server.drainTimeout", drainTimeout, "--drain-timeout");
        put(o, "server.eventLoops", eventLoops, "--event-loops");
        put(o, "upstream.url", upstream, "--upstream");
        put(o, "upstream.maxConnections", maxConnections, "--max-connections");
        put(o, "upstream.maxPendingAcquires", maxPendingAcquires, "--max-pending-acquires");
        put(o, "upstream.acquireTimeout", acquireTimeout, "--acquire-timeout");
        put(o, "upstream.idleTimeout", idleTimeout, "--idle-timeout");
        put(o, "relay.writeBufferLowBytes", writeBufferLow, "--write-buffer-low");
        put(o, "relay.writeBufferHighBytes", writeBufferHigh, "--write-buffer-high");
        put(o, "relay.readBufferBytes", readBuffer, "--read-buffer");
        put(o, "relay.modelPeekBytes", modelPeek, "--model-peek");
        put(o, "relay.tapMaxBytes", tapMaxBytes, "--tap-max-bytes");
        put(o, "relay.preserveHost", preserveHost == null ? null : preserveHost.toString(), "--preserve-host");
        put(o, "log.requests", logRequests == null ? null : logRequests.toString(), "--log-requests");
        put(o, "admin.listen", admin, "--admin");
        put(o, "scraper.enabled", scrape == null ? null : scrape.toString(), "--scrape");
        put(o, "scraper.metricsUrl", scrapeUrl, "--scrape-url");
        put(o, "scraper.dcgmUrl", dcgmUrl, "--dcgm-url");
        put(o, "scraper.dcgmPod", dcgmPod, "--dcgm-pod");
        put(o, "scraper.interval", scrapeInterval, "--scrape-interval");
        put(o, "capture.dir", capture, "--capture");
        put(o, "capture.redaction", captureRedaction, "--capture-redaction");
        put(o, "capture.sample", captureSample, "--capture-sample");
        put(o, "scraper.timeout", scrapeTimeout, "--scrape-timeout");
        put(o, "scraper.staleAfter", scrapeStaleAfter, "--scrape-stale-after");
        if (models != null) {
            o.put("metrics.models", new ProxyConfig.Setting(List.copyOf(models), "flag --models"));
        }
        put(o, "metrics.window", metricsWindow, "--metrics-window");
        put(o, "metrics.tenantLabel", tenantLabel == null ? null : tenantLabel.toString(), "--tenant-label");
        put(o, "metrics.tenantTopN", tenantTopN, "--tenant-top-n");
        put(o, "metrics.nodeHeader", nodeHeader, "--node-header");
        if (nodes != null) {
            o.put("metrics.nodes", new ProxyConfig.Setting(List.copyOf(nodes), "flag --nodes"));
        }
        put(o, "metrics.nodeLimit", nodeLimit, "--node-limit");
        protectionOptions.addTo(o);
        return o;
    }

    private static void put(Map<String, ProxyConfig.Setting> o, String path, String value, String flag) {
        if (value != null) {
            o.put(path, new ProxyConfig.Setting(value, "flag " + flag));
        }
    }

    /** Loads and validates the configuration from the file and flags. */
    ProxyConfig config() {
        return ProxyConfig.load(configFile, overrides());
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        ProxyConfig config;
        try {
            config = config();
        } catch (ConfigException e) {
            err.println("tokentap proxy: invalid configuration: " + e.getMessage());
            err.flush();
            return 2;
        }
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, Transports.ioHandlerFactory());
        // One loop per processor (Netty's own default is two): a loop per connection on a small pod wakes once per
        // request, where fewer loops find several connections ready in one wake-up.
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(config.server().eventLoopCount(),
                Transports.ioHandlerFactory());
        // The admin server and the scraper share one loop of their own: a slow scrape never delays relayed traffic.
        EventLoopGroup adminGroup = new MultiThreadIoEventLoopGroup(1, Transports.ioHandlerFactory());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        MicrometerProxyMetrics metrics = new MicrometerProxyMetrics(registry, config.metrics(), System::nanoTime);
        UpstreamScraper scraper = new UpstreamScraper(config.scraper(), config.upstream().url(), adminGroup,
                System::nanoTime, registry);
        // Shedding reads the scraper's KV-cache and queue figures; retries, the breaker, timeouts and the stream cap
        // are on by default, per-tenant limits and shedding when configured. The tenant map's upkeep (Caffeine's
        // read-buffer drains and evictions, amortised over its calls) runs on the event loop that calls it: handing it
        // to a pool woke a pool thread (a futex call) every few lookups, about 6 % of the CPU of a rejection storm.
        Protection protection = new Protection(config.protection(), metrics,
                config.scraper().enabled() ? new UpstreamStateSignals(scraper) : UpstreamSignals.NONE,
                config.upstream().authority(), System::nanoTime, new Random(), Runnable::run,
                UpstreamBreaker.Listener.NONE);
        ProxyServer server = new ProxyServer(config, metrics, boss, workers, protection);
        CaptureWriter capture = null;
        if (config.capture().enabled()) {
            capture = new CaptureWriter(config.capture(), new Random(), Clock.systemUTC());
            capture.bindTo(registry);
            server.capture(capture);
        }
        CaptureWriter captureWriter = capture;
        // Not ready once draining begins (the Service stops sending while the streams in flight finish), nor while
        // the upstream circuit is open.
        ReadinessCheck readiness = ReadinessCheck.all(
                config.scraper().enabled() ? ReadinessCheck.upstreamReachable(scraper) : ReadinessCheck.ALWAYS,
                ReadinessCheck.circuitNotOpen(() -> !protection.breaker().ready()),
                ReadinessCheck.notDraining(server::draining));
        AdminServer adminServer = new AdminServer(config.admin(), adminGroup, registry, readiness);
        Duration grace = config.server().drainTimeout();
        // SIGTERM: stop accepting, let streams in flight finish, then close. Every step is bounded (see
        // ShutdownSequence): a step that hangs must not keep the process up, since System.exit waits for the hook.
        ShutdownSequence sequence = new ShutdownSequence()
                .step("drain", grace.plus(CLOSE_LIMIT), () -> server.drain(grace))
                .step("relay", CLOSE_LIMIT, server::close)
                // After the drain: the requests it let finish are recorded too, as many as the writer gets through
                // in the step's time less the second it keeps for closing the file whole.
                .step("capture", CLOSE_LIMIT, () -> {
                    if (captureWriter != null) {
                        captureWriter.close(CLOSE_LIMIT);
                    }
                })
                .step("scraper", CLOSE_LIMIT, scraper::close)
                .step("admin", CLOSE_LIMIT, adminServer::close)
                .step("event-loops", CLOSE_LIMIT, () -> {
                    // All three at once; a loop whose quiet period never ends (tasks keep arriving) is left behind.
                    List<Future<?>> terminated = List.of(
                            boss.shutdownGracefully(100, 2000, TimeUnit.MILLISECONDS),
                            workers.shutdownGracefully(100, 2000, TimeUnit.MILLISECONDS),
                            adminGroup.shutdownGracefully(100, 2000, TimeUnit.MILLISECONDS));
                    for (Future<?> f : terminated) {
                        f.await();
                    }
                });
        Thread shutdown = new Thread(sequence::run, "tokentap-proxy-shutdown");
        InetSocketAddress bound;
        InetSocketAddress adminBound;
        try {
            bound = server.start();
        } catch (Exception e) {
            err.println("tokentap proxy: cannot listen on " + config.server().listen() + ": " + e);
            err.flush();
            shutdown.run();
            return 1;
        }
        try {
            adminBound = adminServer.start();
        } catch (Exception e) {
            err.println("tokentap proxy: cannot listen on admin " + config.admin().listen() + ": " + e);
            err.flush();
            shutdown.run();
            return 1;
        }
        scraper.start();
        Runtime.getRuntime().addShutdownHook(shutdown);
        out.println("tokentap proxy: listening on " + bound.getHostString() + ":" + bound.getPort()
                + ", relaying to " + config.upstream().url() + " (" + Transports.name() + ", "
                + config.server().eventLoopCount() + " event loops, " + NettyDefaults.allocatorName() + " buffers)");
        out.println("tokentap proxy: admin on " + adminBound.getHostString() + ":" + adminBound.getPort()
                + " (/metrics, /healthz, /readyz)");
        if (captureWriter != null) {
            out.println("tokentap proxy: capturing " + config.capture().sample() * 100 + "% of requests to "
                    + config.capture().dir() + " (redaction " + config.capture().redaction().label() + ")");
        }
        out.flush();
        server.closeFuture().sync();
        return 0;
    }
}
