package io.tokentap.loadgen;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.core.timeline.Slo;
import io.tokentap.loadgen.analysis.Criterion;
import io.tokentap.loadgen.analysis.KneeCriteria;
import io.tokentap.loadgen.analysis.KneeFinder;
import io.tokentap.loadgen.analysis.SlaPolicy;
import io.tokentap.loadgen.config.ConfigException;
import io.tokentap.loadgen.config.Durations;
import io.tokentap.loadgen.plan.ClientSpec;
import io.tokentap.loadgen.plan.Plan;
import io.tokentap.loadgen.plan.PlanParser;
import io.tokentap.loadgen.report.ReportWriter;
import io.tokentap.loadgen.schedule.ArrivalProcess;
import io.tokentap.loadgen.sweep.SweepLevels;
import io.tokentap.loadgen.workload.CacheBusting;
import io.tokentap.loadgen.workload.TokenText;
import io.tokentap.loadgen.workload.Workload;
import io.tokentap.loadgen.workload.WorkloadLoader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokentap sweep}: finds the breaking point. Levels go up exponentially, each one held after a warm-up, and
 * once a level breaks, bisection between the last good and the first bad level narrows it down.
 *
 * <pre>
 * tokentap sweep --target http://127.0.0.1:8000 --out out/ --workload config/loadgen/chat-mix.yaml
 * tokentap sweep --target http://127.0.0.1:8000 --out out/ --mode rate --levels 1,2,4,8,16 --hold 1m
 * </pre>
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {
            "Finds the breaking point: exponential levels (1, 2, 4, ...), then bisection",
            "between the last good and the first bad level. Each level is held for --hold",
            "after a warm-up that is left out of its figures.",
            "Prints the curve table, the breaking point with the criterion that fired, the",
            "SLA tiers and the recommendations (operating point, proxy rate limits, alert",
            "thresholds); writes results.json, results.csv, intervals.hlog and report.html",
            "to --out. Client-bound levels never count as the server's breaking point.",
            "Exit codes: 0 done (with or without a breaking point), 1 below --min-goodput,",
            "2 bad input."})
public final class SweepCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    LoadOptions options;

    @Option(names = "--mode", defaultValue = "concurrency", paramLabel = "MODE",
            description = "concurrency (closed: N streams) or rate (open: R requests/s) (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--levels", split = ",", paramLabel = "L1,L2",
            description = "The levels to try in order instead of the exponential ones; bisection still follows.")
    List<Double> levels;

    @Option(names = "--start", defaultValue = "1", paramLabel = "L",
            description = "The first exponential level (default: ${DEFAULT-VALUE}).")
    double start;

    @Option(names = "--max-level", paramLabel = "L",
            description = "The last exponential level (default: 256 streams, or 512 requests/s).")
    Double maxLevel;

    @Option(names = "--no-refine", description = "No bisection after the exponential levels.")
    boolean noRefine;

    @Option(names = "--resolution", defaultValue = "5", paramLabel = "PCT",
            description = "Bisection stops when the last good and the first bad level are within PCT%% of the"
                    + " good one (or adjacent, for streams) (default: ${DEFAULT-VALUE}).")
    double resolutionPercent;

    @Option(names = "--hold", defaultValue = "30s", converter = DurationConverter.class, paramLabel = "D",
            description = "How long each level is measured after its warm-up (default: ${DEFAULT-VALUE}).")
    Duration hold;

    @Option(names = "--warmup", defaultValue = "5s", converter = DurationConverter.class, paramLabel = "D",
            description = "The least warm-up per level (default: ${DEFAULT-VALUE}); it goes on until the requests in"
                    + " flight have turned over once, up to --warmup-max.")
    Duration warmup;

    @Option(names = "--warmup-max", defaultValue = "30s", converter = DurationConverter.class, paramLabel = "D",
            description = "The longest warm-up per level (default: ${DEFAULT-VALUE}).")
    Duration warmupMax;

    @Option(names = "--min-requests", defaultValue = "20", paramLabel = "N",
            description = "Each level's hold goes on until N requests were sent in it, up to 4 times --hold"
                    + " (default: ${DEFAULT-VALUE}).")
    long minRequests;

    @Option(names = "--max-duration", defaultValue = "1h", converter = DurationConverter.class, paramLabel = "D",
            description = "A hard limit on the whole sweep (default: ${DEFAULT-VALUE}).")
    Duration maxDuration;

    @Option(names = "--workload", paramLabel = "FILE",
            description = "Workload: YAML (synthetic corpus), or JSONL (prompts, Mooncake trace, capture).")
    Path workload;

    @Option(names = "--arrival", defaultValue = "poisson", paramLabel = "KIND",
            description = "With --mode rate: constant, poisson or gamma (default: ${DEFAULT-VALUE}).")
    ArrivalProcess arrival;

    @Option(names = "--cache-bust", description = "A unique prefix on every prompt, so prefix caching cannot help.")
    boolean cacheBust;

    @Option(names = "--sla-ttft-p95", defaultValue = "500ms", converter = DurationConverter.class, paramLabel = "D",
            description = "Breaking point when p95 TTFT exceeds this (default: ${DEFAULT-VALUE}).")
    Duration slaTtftP95;

    @Option(names = "--min-gain", defaultValue = "10", paramLabel = "PCT",
            description = "Breaking point when a doubling of load gains less than PCT%% throughput (default: ${DEFAULT-VALUE}).")
    double minGainPercent;

    @Option(names = "--max-tail-ratio", defaultValue = "10", paramLabel = "R",
            description = "Breaking point when p99/p50 TTFT exceeds R (default: ${DEFAULT-VALUE}).")
    double maxTailRatio;

    @Option(names = "--max-error-rate", defaultValue = "1", paramLabel = "PCT",
            description = "Breaking point when errors exceed PCT%% of requests (default: ${DEFAULT-VALUE}).")
    double maxErrorPercent;

    @Option(names = "--kv-limit", defaultValue = "95", paramLabel = "PCT",
            description = "Breaking point when the server's KV cache is PCT%% full while its queue grows; needs"
                    + " --metrics-url (default: ${DEFAULT-VALUE}).")
    double kvLimitPercent;

    @Option(names = "--criteria", split = ",", paramLabel = "C1,C2",
            description = "Only these criteria: error_rate, ttft_sla, tail_ratio, kv_cache_saturated,"
                    + " throughput_plateau (default: all).")
    Set<Criterion> criteria;

    @Option(names = "--limit-fraction", defaultValue = "0.65", paramLabel = "F",
            description = "Share of the saturation throughput the recommended rate limits allow (default: ${DEFAULT-VALUE}).")
    double limitFraction;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper mapper = new ObjectMapper();
        boolean rate;
        KneeCriteria knee;
        SweepLevels sweep;
        Plan plan;
        Workload w;
        try {
            rate = switch (mode.toLowerCase(Locale.ROOT)) {
                case "concurrency" -> false;
                case "rate" -> true;
                default -> throw new IllegalArgumentException("--mode: " + mode + " (expected: concurrency or rate)");
            };
            knee = new KneeCriteria(criteria == null || criteria.isEmpty() ? EnumSet.allOf(Criterion.class) : criteria,
                    minGainPercent / 100, slaTtftP95.toNanos() / 1e9, maxTailRatio, maxErrorPercent / 100,
                    kvLimitPercent / 100, KneeCriteria.defaults().minTailRequests());
            double max = maxLevel != null ? maxLevel : rate ? 512 : 256;
            sweep = new SweepLevels(rate, start, max, levels, !noRefine, resolutionPercent / 100, hold, arrival,
                    new KneeFinder(knee));
            if (warmupMax.compareTo(warmup) < 0) {
                throw new IllegalArgumentException("--warmup-max " + Durations.format(warmupMax)
                        + " (expected: >= --warmup " + Durations.format(warmup) + ")");
            }
            long requests = options.requests != null ? options.requests : PlanParser.DEFAULT_MAX_REQUESTS;
            plan = new Plan("sweep", List.of(sweep.first()), maxDuration, requests, options.seed,
                    options.slo(Slo.NONE), options.client(ClientSpec.DEFAULT), workload, options.model);
            WorkloadLoader loader = new WorkloadLoader(mapper, new TokenText(), msg -> {
                err.println(msg);
                err.flush();
            });
            w = workload != null ? loader.load(workload, options.model, plan.seed())
                    : loader.defaultSynthetic(options.model, plan.seed());
            if (cacheBust) {
                w = new CacheBusting(w, plan.seed() ^ System.nanoTime());
            }
        } catch (ConfigException | IllegalArgumentException | java.io.IOException e) {
            err.println("tokentap sweep: " + e.getMessage());
            err.flush();
            return 2;
        }
        ReportWriter reporter = new ReportWriter(knee, SlaPolicy.defaults(), limitFraction);
        return LoadLauncher.launch(plan, w, options, 1, mapper, out, err, (run, target) -> run
                .warmup(warmup, warmupMax, minRequests)
                .run(target, done -> sweep.next(done, line -> {
                    err.println(line);
                    err.flush();
                }), 0, "sweep"), reporter, true);
    }
}
