package io.tokentap.loadgen;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.loadgen.config.ConfigException;
import io.tokentap.loadgen.plan.ClientSpec;
import io.tokentap.loadgen.plan.LoadModel;
import io.tokentap.loadgen.plan.Plan;
import io.tokentap.loadgen.plan.PlanParser;
import io.tokentap.core.timeline.Slo;
import io.tokentap.loadgen.plan.StageSpec;
import io.tokentap.loadgen.schedule.ArrivalProcess;
import io.tokentap.loadgen.schedule.LoadProfile;
import io.tokentap.loadgen.workload.FileWorkload;
import io.tokentap.loadgen.workload.TokenText;
import io.tokentap.loadgen.workload.Workload;
import io.tokentap.loadgen.workload.WorkloadLoader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokentap replay}: sends captured traffic (docs/capture-format.md) or a Mooncake trace at the recorded
 * times divided by a speed-up, and reports like {@code run}.
 *
 * <pre>
 * tokentap replay --capture capture.jsonl --target http://staging:8000 --speedup 2 --out out/
 * tokentap replay --capture /var/lib/tokentap/capture/ --target http://staging:8000 --out out/
 * </pre>
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Replays captured traffic (or a Mooncake trace) at the recorded times divided by --speedup.",
            "Broken capture lines are reported with their line number and skipped.",
            "Exit codes: 0 done, 1 below --min-goodput, 2 bad input."})
public final class ReplayCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--capture", required = true, paramLabel = "FILE|DIR",
            description = "A capture file (.jsonl or .jsonl.gz), a directory of them (the proxy's rotated capture"
                    + " files, replayed in name order as one capture) or a Mooncake trace.")
    Path capture;

    @Option(names = "--speedup", defaultValue = "1", paramLabel = "F", description = "Replay F times faster (default: ${DEFAULT-VALUE}).")
    double speedup;

    @Option(names = "--max-duration", converter = DurationConverter.class, defaultValue = "24h", paramLabel = "D",
            description = "Stop after D (default: ${DEFAULT-VALUE}).")
    Duration maxDuration;

    @Option(names = "--shard", paramLabel = "i/N",
            description = "Replay only shard i of N (0 <= i < N): every N-th record from the i-th, at its recorded"
                    + " time; N load generators together send the whole capture. Merge with tokentap merge.")
    String shard;

    @Mixin
    LoadOptions options;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        ObjectMapper mapper = new ObjectMapper();
        Workload w;
        Plan plan;
        try {
            if (!(speedup > 0)) {
                throw new IllegalArgumentException("--speedup: " + speedup + " (expected: > 0)");
            }
            WorkloadLoader loader = new WorkloadLoader(mapper, new TokenText(), msg -> {
                err.println(msg);
                err.flush();
            });
            w = loader.load(capture, options.model, options.seed);
            if (w instanceof FileWorkload f) {
                w = f.cycling(false);
                if (shard != null) {
                    int[] s = parseShard(shard);
                    w = ((FileWorkload) w).shard(s[0], s[1]);
                }
            } else if (shard != null) {
                throw new IllegalArgumentException("--shard: " + capture + " is not a file workload");
            }
            long[] offsets = w.recordedOffsetsNanos();
            if (offsets == null) {
                throw new IllegalArgumentException(capture + ": no recorded times (expected a capture file or a Mooncake trace)");
            }
            long span = offsets.length == 0 ? 0 : java.util.Arrays.stream(offsets).max().orElse(0);
            StageSpec stage = new StageSpec("replay", "replay", LoadModel.REPLAY,
                    LoadProfile.constant(speedup, Duration.ofNanos(Math.round(span / speedup))), ArrivalProcess.CONSTANT,
                    1, speedup);
            long requests = options.requests != null ? options.requests : PlanParser.DEFAULT_MAX_REQUESTS;
            plan = new Plan("replay " + capture.getFileName(), List.of(stage), maxDuration, requests, options.seed,
                    options.slo(Slo.NONE), options.client(ClientSpec.DEFAULT), capture, options.model);
        } catch (ConfigException | IllegalArgumentException | java.io.IOException e) {
            err.println("tokentap replay: " + e.getMessage());
            err.flush();
            return 2;
        }
        return LoadLauncher.launch(plan, w, options, speedup, mapper, spec.commandLine().getOut(), err);
    }

    /** {@code "i/N"} as {i, N}. */
    static int[] parseShard(String text) {
        String[] parts = text.trim().split("/");
        try {
            if (parts.length == 2) {
                int i = Integer.parseInt(parts[0].trim());
                int n = Integer.parseInt(parts[1].trim());
                if (n >= 1 && i >= 0 && i < n) {
                    return new int[] {i, n};
                }
            }
        } catch (NumberFormatException e) {
            // the message below says what was expected
        }
        throw new IllegalArgumentException("--shard: " + text + " (expected: i/N with 0 <= i < N, e.g. 0/4)");
    }
}
