package io.tokentap.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.loadgen.result.LoadMetric;
import io.tokentap.loadgen.result.ResultsJson;
import io.tokentap.loadgen.result.RunResult;
import io.tokentap.loadgen.result.StageStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokentap demo}: the simulator (a process of its own), the proxy in front of it (another), and a sweep
 * through the proxy (in this process). Prints the curve table, the breaking point, the recommendations and where the
 * report is, then compares the load generator's TTFT with the proxy's own view of the same requests (its per-request
 * log). Everything goes under {@code --out}; both child processes are stopped on every path, Ctrl-C included.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {
            "Runs the simulator (llama3-8b-a100, time-scaled), the proxy in front of it and a",
            "sweep through the proxy; prints the curve table, the breaking point with its",
            "criterion, the recommendations and the report's path, and checks that the proxy",
            "and the load generator measured the same TTFT. No GPU, no network beyond",
            "loopback. Exit codes: 0 done, 1 the two views disagree or a step failed."})
public final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--out", defaultValue = "tokentap-demo", paramLabel = "DIR",
            description = "Where results.json, report.html and the logs go (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--profile", defaultValue = "llama3-8b-a100", paramLabel = "NAME",
            description = "The simulator profile (default: ${DEFAULT-VALUE}).")
    String profile;

    @Option(names = "--time-scale", defaultValue = "10", paramLabel = "F",
            description = "The simulated GPU runs F times faster than the real one, so the demo takes minutes;"
                    + " latencies are 1/F of the modelled hardware's, throughput F times (default: ${DEFAULT-VALUE}).")
    double timeScale;

    @Option(names = "--hold", defaultValue = "5s", paramLabel = "D",
            description = "How long each level is measured, after its warm-up (default: ${DEFAULT-VALUE}).")
    String hold;

    @Option(names = "--max-level", defaultValue = "256", paramLabel = "N",
            description = "The highest concurrency tried (default: ${DEFAULT-VALUE}).")
    int maxLevel;

    /**
     * The two views agree when their TTFT p50 differ by at most this much plus 5% of the proxy's, and their p95 by
     * this much plus 10% (a p95 of a few hundred requests moves with single stalls of a busy machine).
     */
    static final double AGREE_ABSOLUTE_MILLIS = 2.0;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!(timeScale > 0)) {
            err.println("tokentap demo: --time-scale " + timeScale + " (expected: > 0)");
            err.flush();
            return 2;
        }
        Files.createDirectories(out);
        Path workload = out.resolve("workload.yaml");
        try (InputStream in = DemoCommand.class.getResourceAsStream("demo-workload.yaml")) {
            Files.write(workload, in.readAllBytes());
        }
        int simPort = freePort();
        int proxyPort = freePort();
        int adminPort = freePort();
        Path requestLog = out.resolve("proxy-requests.jsonl");
        List<Process> children = new ArrayList<>();
        Thread stopChildren = new Thread(() -> stop(children), "tokentap-demo-stop");
        Runtime.getRuntime().addShutdownHook(stopChildren);
        try {
            o.printf(Locale.ROOT, "tokentap demo: simulator (%s, time scale %s) on 127.0.0.1:%d, proxy on 127.0.0.1:%d"
                    + " (admin %d), results in %s%n", profile, fmt(timeScale), simPort, proxyPort, adminPort, out);
            o.printf(Locale.ROOT, "  the simulated GPU runs %s times faster than the real one: latencies below are"
                    + " 1/%s and throughput %s times the modelled hardware's; the TTFT SLA is scaled the same way.%n",
                    fmt(timeScale), fmt(timeScale), fmt(timeScale));
            o.printf(Locale.ROOT, "  all three share this machine's cores: a level counts as client-bound only past %s of"
                    + " load-generator lag (p99), not the usual 5 ms.%n", DEMO_CLIENT_LAG);
            o.flush();
            children.add(child(out.resolve("sim.log"), out.resolve("sim.log"), "sim", "--profile", profile,
                    "--listen", "127.0.0.1:" + simPort, "--time-scale", fmt(timeScale)));
            waitFor("http://127.0.0.1:" + simPort + "/health", children.get(0), "the simulator");
            children.add(child(requestLog, out.resolve("proxy.log"), "proxy", "--listen", "127.0.0.1:" + proxyPort,
                    "--upstream", "http://127.0.0.1:" + simPort, "--admin", "127.0.0.1:" + adminPort,
                    "--log-requests"));
            waitFor("http://127.0.0.1:" + adminPort + "/readyz", children.get(1), "the proxy");

            long slaMillis = Math.max(1, Math.round(500 / timeScale));
            String sla = slaMillis + "ms";
            // Three fresh JVMs compile their hot paths in the first seconds: that traffic is not measured.
            o.println("warming up the three processes (" + WARM_UP + " at 8 streams, not measured)");
            o.flush();
            String proxy = "http://127.0.0.1:" + proxyPort;
            StringWriter warmLog = new StringWriter();
            PrintWriter warm = new PrintWriter(warmLog);
            int warmed = tokentap(warm, warm, "run", "--target", proxy, "--out", out.resolve("warm-up").toString(),
                    "--workload", workload.toString(), "--concurrency", "8", "--duration", WARM_UP, "--no-report");
            if (warmed != 0) {
                err.println("tokentap demo: the warm-up failed (exit " + warmed + "):\n" + warmLog);
                err.flush();
                return 1;
            }
            int code = tokentap(o, err, "sweep", "--target", proxy, "--out", out.toString(),
                    "--workload", workload.toString(), "--metrics-url", "http://127.0.0.1:" + adminPort + "/metrics",
                    "--hold", hold, "--warmup", "2s", "--warmup-max", "10s", "--max-level", Integer.toString(maxLevel),
                    "--sla-ttft-p95", sla, "--max-duration", "10m", "--timeout", "60s", "--min-requests", "10",
                    "--max-client-lag", DEMO_CLIENT_LAG, "--resolution", "15");
            if (code != 0) {
                err.println("tokentap demo: the sweep failed (exit " + code + ")");
                err.flush();
                return 1;
            }
            // The agreement check: a short closed stage at a light load, where the load generator is not the
            // bottleneck, and the proxy's log lines of exactly those requests (after those of the warm-up and sweep).
            ResultsJson results = new ResultsJson(new ObjectMapper());
            long before = results.read(out.resolve("results.json")).traffic().requests()
                    + results.read(out.resolve("warm-up").resolve("results.json")).traffic().requests();
            awaitLines(requestLog, before);
            Path check = out.resolve("check");
            o.printf(Locale.ROOT, "%nagreement check: %d concurrent streams, %d requests, through the proxy%n",
                    CHECK_STREAMS, CHECK_REQUESTS);
            o.flush();
            StringWriter quietLog = new StringWriter();
            PrintWriter quiet = new PrintWriter(quietLog);
            code = tokentap(quiet, quiet, "run", "--target", proxy, "--out", check.toString(),
                    "--workload", workload.toString(), "--concurrency", Integer.toString(CHECK_STREAMS),
                    "--requests", Long.toString(CHECK_REQUESTS), "--duration", "60s", "--no-report");
            if (code != 0) {
                err.println("tokentap demo: the agreement check failed (exit " + code + "):\n" + quietLog);
                err.flush();
                return 1;
            }
            awaitLines(requestLog, before + CHECK_REQUESTS);
            // The proxy writes its request log from a queue: stop it (SIGTERM drains and flushes) before reading.
            stop(children);
            return compare(o, err, check.resolve("results.json"), requestLog, before);
        } finally {
            stop(children);
            try {
                Runtime.getRuntime().removeShutdownHook(stopChildren);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running.
            }
        }
    }

    /** Requests of the agreement check. */
    static final long CHECK_REQUESTS = 200;
    /** How long the processes are warmed up before the sweep. */
    static final String WARM_UP = "8s";
    /** Streams of the agreement check: a light load, where the load generator's own delays stay small. */
    static final int CHECK_STREAMS = 2;
    /**
     * The simulator, the proxy and the load generator share this machine's cores, so the load generator's event loop
     * waits for CPU now and then; the demo accepts this much lag before calling a level client-bound (and says so).
     */
    static final String DEMO_CLIENT_LAG = "50ms";

    /** Waits (up to 20 s) until the proxy's log holds {@code count} request lines. */
    private static void awaitLines(Path log, long count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (requestLines(log).size() < count && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    private static List<String> requestLines(Path log) throws IOException {
        return Files.readAllLines(log).stream().filter(l -> l.startsWith("{")).toList();
    }

    /**
     * The proxy's TTFT against the load generator's, over the requests of {@code results}: the proxy's log lines
     * from the {@code skip}-th on. 0 when they agree.
     */
    static int compare(PrintWriter o, PrintWriter err, Path results, Path requestLog, long skip) throws IOException {
        RunResult run = new ResultsJson(new ObjectMapper()).read(results);
        StageStats traffic = run.traffic();
        Histogram proxy = new Histogram(3);
        ObjectMapper json = new ObjectMapper();
        long lines = 0;
        for (String line : requestLines(requestLog).stream().skip(skip).toList()) {
            lines++;
            JsonNode ttft = json.readTree(line).path("ttft_ms");
            if (ttft.isNumber()) {
                proxy.recordValue(Math.max(1, Math.round(ttft.asDouble() * 1000)));
            }
        }
        // From the load generator's send (service_ttft), as the proxy counts from the request's arrival. Its TTFT proper
        // counts from the intended start, which in a closed stage is the end of the user's previous request: it also
        // holds the generator's own hand-off to a connection, which the proxy cannot see (0.4 ms at p50 and 1.5-1.9
        // ms at p95 here).
        Histogram loadgen = traffic.histogram(LoadMetric.SERVICE_TTFT);
        o.println();
        o.printf(Locale.ROOT, "the same requests seen twice (%d sent by the load generator, %d logged by the proxy):%n",
                traffic.requests(), lines);
        o.printf(Locale.ROOT, "%-10s %16s %12s %10s%n", "TTFT", "load generator", "proxy", "difference");
        boolean agree = true;
        for (double p : new double[] {50, 95}) {
            double lg = loadgen.getValueAtPercentile(p) / 1000.0;
            double px = proxy.getValueAtPercentile(p) / 1000.0;
            double d = lg - px;
            double relative = p == 50 ? 0.05 : 0.10;
            boolean ok = proxy.getTotalCount() > 0 && Math.abs(d) <= AGREE_ABSOLUTE_MILLIS + relative * px;
            agree &= ok;
            o.printf(Locale.ROOT, "%-10s %13.1f ms %9.1f ms %7.1f ms%s%n", "p" + (int) p, lg, px, d,
                    ok ? "" : "  DISAGREE");
        }
        o.printf(Locale.ROOT, "%s (tolerance %.0f ms + 5%% at p50, + 10%% at p95; the load generator's clock starts at"
                + " its send, the proxy's when the request arrives)%n", agree ? "the two views agree"
                : "the two views DISAGREE", AGREE_ABSOLUTE_MILLIS);
        o.flush();
        if (!agree) {
            err.println("tokentap demo: the proxy and the load generator disagree on TTFT");
            err.flush();
        }
        return agree ? 0 : 1;
    }

    /** Runs {@code tokentap ARGS...} in this process, with its output going to {@code out} and {@code err}. */
    private static int tokentap(PrintWriter out, PrintWriter err, String... args) {
        return Main.commandLine().setOut(out).setErr(err).execute(args);
    }

    /** Starts {@code tokentap ARGS...} as a child process on this JVM's class path. */
    private static Process child(Path stdout, Path stderr, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (stdout.equals(stderr)) {
            pb.redirectErrorStream(true);
        } else {
            pb.redirectError(stderr.toFile());
        }
        pb.redirectOutput(stdout.toFile());
        return pb.start();
    }

    private static void waitFor(String url, Process p, String what) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException(what + " exited with " + p.exitValue() + " (see its log)");
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(1))
                        .GET().build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(what + " did not come up within 60 s at " + url);
    }

    /** SIGTERM to each child (the proxy drains), then a kill after 15 s. */
    private static synchronized void stop(List<Process> children) {
        for (Process p : children) {
            p.destroy();
        }
        for (Process p : children) {
            try {
                if (!p.waitFor(15, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        children.clear();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
