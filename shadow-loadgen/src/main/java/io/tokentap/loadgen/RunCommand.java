package io.tokentap.loadgen;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.loadgen.config.ConfigException;
import io.tokentap.loadgen.plan.Plan;
import io.tokentap.loadgen.plan.PlanParser;
import io.tokentap.loadgen.plan.StageSpec;
import io.tokentap.loadgen.report.ReportWriter;
import io.tokentap.loadgen.schedule.ArrivalProcess;
import io.tokentap.loadgen.workload.CacheBusting;
import io.tokentap.loadgen.workload.TokenText;
import io.tokentap.loadgen.workload.Workload;
import io.tokentap.loadgen.workload.WorkloadLoader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokentap run}: a load plan, or one stage of N concurrent streams or R requests per second.
 *
 * <pre>
 * tokentap run --target http://127.0.0.1:8000 --out out/ --plan config/loadgen/ramp-burst.yaml
 * tokentap run --target http://127.0.0.1:8000 --out out/ --rate 20 --duration 2m --workload chat.yaml
 * </pre>
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs a load plan (ramp, sustained, burst, soak stages) or a single stage against a target.",
            "Open-model latency counts from the intended send time. Ctrl-C ends the run with a partial report.",
            "Exit codes: 0 done, 1 below --min-goodput, 2 bad input."})
public final class RunCommand implements Callable<Integer> {

    static final class Load {
        @Option(names = "--plan", paramLabel = "PLAN.yaml", description = "A load plan.")
        Path plan;

        @Option(names = "--concurrency", paramLabel = "N", description = "One closed stage of N concurrent streams.")
        Integer concurrency;

        @Option(names = "--rate", paramLabel = "R", description = "One open stage of R requests per second.")
        Double rate;
    }

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Load load;

    @Mixin
    LoadOptions options;

    @Option(names = "--duration", converter = DurationConverter.class, paramLabel = "D",
            description = "A single stage's length (default 60s); with --plan, a cap on the run's length.")
    Duration duration;

    @Option(names = "--workload", paramLabel = "FILE", description = "Workload: YAML (synthetic corpus), or JSONL (prompts, Mooncake trace, capture).")
    Path workload;

    @Option(names = "--arrival", defaultValue = "poisson", paramLabel = "KIND", description = "With --rate: constant, poisson or gamma (default: ${DEFAULT-VALUE}).")
    ArrivalProcess arrival;

    @Option(names = "--gamma-shape", defaultValue = "1.0", paramLabel = "K", description = "With --arrival gamma: the shape (CV = 1/sqrt(K)).")
    double gammaShape;

    @Option(names = "--warmup", converter = DurationConverter.class, paramLabel = "D",
            description = "With --concurrency or --rate: load at the stage's level for D first; the warm-up's requests"
                    + " are sent but left out of the results, and the stage is measured for --duration after it"
                    + " (default: no warm-up).")
    Duration warmup;

    @Option(names = "--cache-bust", description = "A unique prefix on every prompt, so prefix caching cannot help.")
    boolean cacheBust;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper mapper = new ObjectMapper();
        Plan plan;
        Workload w;
        try {
            plan = plan();
            WorkloadLoader loader = new WorkloadLoader(mapper, new TokenText(), msg -> {
                err.println(msg);
                err.flush();
            });
            Path wf = workload != null ? workload : plan.workload();
            String model = options.model != null ? options.model : plan.model();
            w = wf != null ? loader.load(wf, model, plan.seed()) : loader.defaultSynthetic(model, plan.seed());
            if (cacheBust) {
                w = new CacheBusting(w, plan.seed() ^ System.nanoTime());
            }
        } catch (ConfigException | IllegalArgumentException | java.io.IOException e) {
            err.println("tokentap run: " + e.getMessage());
            err.flush();
            return 2;
        }
        if (warmup == null) {
            return LoadLauncher.launch(plan, w, options, 1, mapper, out, err);
        }
        return LoadLauncher.launch(plan, w, options, 1, mapper, out, err,
                (run, target) -> run.warmup(warmup, warmup, 0).run(target), ReportWriter.defaults(), false);
    }

    private Plan plan() throws java.io.IOException {
        if (warmup != null && (load.plan != null || warmup.isNegative() || warmup.isZero())) {
            throw new IllegalArgumentException(load.plan != null
                    ? "--warmup applies to a single stage (--concurrency or --rate), not to --plan"
                    : "--warmup " + io.tokentap.loadgen.config.Durations.format(warmup) + " (expected: > 0)");
        }
        Plan p;
        if (load.plan != null) {
            p = new PlanParser().parse(load.plan);
            if (duration != null && duration.compareTo(p.maxDuration()) < 0) {
                p = p.with(duration, p.maxRequests(), p.workload(), p.model(), p.client(), p.slo());
            }
        } else {
            Duration d = duration != null ? duration : Duration.ofSeconds(60);
            StageSpec stage;
            if (load.concurrency != null) {
                stage = StageSpec.closed("c=" + load.concurrency, load.concurrency, d);
            } else {
                stage = new StageSpec(String.format(java.util.Locale.ROOT, "r=%s", load.rate), "sustained",
                        io.tokentap.loadgen.plan.LoadModel.OPEN, io.tokentap.loadgen.schedule.LoadProfile.constant(load.rate, d),
                        arrival, gammaShape, 1);
            }
            // The running requests get up to 30 s after the stage (and its warm-up) to finish; then the run's hard
            // limit cuts them.
            Duration limit = d.plusSeconds(30).plus(warmup != null ? warmup : Duration.ZERO);
            p = new Plan("single stage", List.of(stage), limit, PlanParser.DEFAULT_MAX_REQUESTS, options.seed,
                    io.tokentap.core.timeline.Slo.NONE, io.tokentap.loadgen.plan.ClientSpec.DEFAULT, null, null);
        }
        long requests = options.requests != null ? options.requests : p.maxRequests();
        return p.with(p.maxDuration(), requests, p.workload(), p.model(), options.client(p.client()), options.slo(p.slo()));
    }
}
