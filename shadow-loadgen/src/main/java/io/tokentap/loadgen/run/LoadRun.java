package io.tokentap.loadgen.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.loadgen.config.Durations;
import io.tokentap.loadgen.exec.LoadExecutor;
import io.tokentap.loadgen.exec.RequestBudget;
import io.tokentap.loadgen.exec.Warmup;
import io.tokentap.loadgen.plan.LoadModel;
import io.tokentap.loadgen.plan.Plan;
import io.tokentap.loadgen.plan.StageSpec;
import io.tokentap.loadgen.result.LoadMetric;
import io.tokentap.loadgen.result.ResultsCsv;
import io.tokentap.loadgen.result.ResultsJson;
import io.tokentap.loadgen.result.RunResult;
import io.tokentap.loadgen.result.StageRecorder;
import io.tokentap.loadgen.result.StageStats;
import io.tokentap.loadgen.schedule.OpenSchedule;
import io.tokentap.loadgen.schedule.ReplaySchedule;
import io.tokentap.loadgen.schedule.Schedule;
import io.tokentap.loadgen.workload.Workload;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.apache.commons.math3.random.Well19937c;

/**
 * Runs a plan's stages one after the other on a {@link LoadExecutor}, drains the stage recorders every second (into
 * the HdrHistogram interval log and the progress line), and writes {@code results.json}, {@code results.csv} and
 * {@code intervals.hlog} to the output directory. Stops by itself at the plan's duration and request limits;
 * {@link #interrupt()} (Ctrl-C) ends it early with a partial report.
 */
public final class LoadRun {

    private final Plan plan;
    private final Workload workload;
    private final LoadExecutor executor;
    private final LongSupplier nanoTime;
    private final Path outDir;
    private final ObjectMapper mapper;
    private final Consumer<String> progress;
    private final boolean liveLine;
    private final double replaySpeedup;
    private io.tokentap.loadgen.server.ServerSampler sampler;
    private ClientCheck clientCheck = ClientCheck.DEFAULT;
    private Duration warmupMin;
    private long warmupMinRequests;
    private Duration warmupMax;
    private RunResult.Pricing pricing = RunResult.Pricing.NONE;
    private final CountDownLatch interrupted = new CountDownLatch(1);
    private final List<StageRecorder> open = new ArrayList<>();
    private HistogramLogWriter intervalLog;
    private volatile StageRecorder currentRecorder;
    private volatile String currentStage = "";
    private volatile long currentStageStart;
    private volatile long currentStageLength;
    private long lastProgressNanos;
    private long intervalTokens;
    private Histogram intervalTtft = StageStats.newHistogram();
    private long intervalRequests;
    private long doneRequests;

    /**
     * @param outDir        where results go, or {@code null} to write nothing
     * @param replaySpeedup the speed-up of a replay stage
     * @param liveLine      redraw one progress line in place (a TTY) instead of printing lines
     */
    public LoadRun(Plan plan, Workload workload, LoadExecutor executor, LongSupplier nanoTime, Path outDir,
                   ObjectMapper mapper, Consumer<String> progress, boolean liveLine, double replaySpeedup) {
        this.plan = plan;
        this.workload = workload;
        this.executor = executor;
        this.nanoTime = nanoTime;
        this.outDir = outDir;
        this.mapper = mapper;
        this.progress = progress;
        this.liveLine = liveLine;
        this.replaySpeedup = replaySpeedup;
    }

    /** Samples the server's Prometheus figures each second during every stage. */
    public LoadRun sampling(io.tokentap.loadgen.server.ServerSampler s) {
        this.sampler = s;
        return this;
    }

    /** Token prices for the cost per request. */
    public LoadRun pricing(RunResult.Pricing p) {
        this.pricing = p;
        return this;
    }

    /** How a stage is judged client-bound (default {@link ClientCheck#DEFAULT}). */
    public LoadRun clientCheck(ClientCheck c) {
        this.clientCheck = c;
        return this;
    }

    /**
     * Gives every closed and open stage a warm-up (see {@link Warmup}) whose requests stay out of its results, holds
     * each measured window until at least {@code minRequests} requests were sent in it, and lets each stage's
     * requests end before the next stage starts, so every stage is measured on its own.
     */
    public LoadRun warmup(Duration min, Duration max, long minRequests) {
        this.warmupMin = min;
        this.warmupMax = max;
        this.warmupMinRequests = minRequests;
        return this;
    }

    /**
     * What a run measures next, given the stages measured so far (drained, with the client check applied when the
     * run has a warm-up): a plan's stages in turn, or a sweep's next level. Null ends the run.
     */
    @FunctionalInterface
    public interface StageSource {
        StageSpec next(List<StageStats> done);
    }

    /** Ends the run early: dispatching stops, running requests are cancelled, results are written as partial. */
    public void interrupt() {
        interrupted.countDown();
        executor.stopStage();
    }

    /** Runs the plan's stages in turn. */
    public RunResult run(String target) throws IOException, InterruptedException {
        List<StageSpec> stages = plan.stages();
        return run(target, done -> done.size() < stages.size() ? stages.get(done.size()) : null, stages.size(),
                plan.stages().stream().anyMatch(s -> s.model() == LoadModel.REPLAY) ? "replay" : "run");
    }

    /**
     * Runs the stages {@code source} hands out, one after the other, within the plan's limits.
     *
     * @param knownStages how many stages there will be, for the progress line, or 0 when unknown
     * @param kind        the result's kind: run, replay or sweep
     */
    public RunResult run(String target, StageSource source, int knownStages, String kind)
            throws IOException, InterruptedException {
        RunResult result = new RunResult();
        result.slo(plan.slo());
        result.pricing(pricing);
        result.info().put("target", target);
        result.info().put("plan", plan.name());
        result.info().put("workload", workload.describe());
        result.info().put("started_at", Instant.now().toString());
        result.info().put("max_duration", Durations.format(plan.maxDuration()));
        result.info().put("max_requests", Long.toString(plan.maxRequests()));
        boolean closed = plan.stages().stream().allMatch(s -> s.model() == LoadModel.CLOSED);
        result.info().put("kind", kind);
        result.info().put("mode", closed ? "concurrency" : "rate");
        if (warmupMax != null) {
            result.info().put("warmup", Durations.format(warmupMin) + ".." + Durations.format(warmupMax));
        }
        if (outDir != null) {
            Files.createDirectories(outDir);
            intervalLog = new HistogramLogWriter(outDir.resolve("intervals.hlog").toFile());
            intervalLog.outputComment("tokentap load generator interval log; values in microseconds; tag = stage.metric");
            intervalLog.outputLogFormatVersion();
            long startMillis = System.currentTimeMillis();
            intervalLog.setBaseTime(startMillis);
            intervalLog.outputStartTime(startMillis);
            intervalLog.outputBaseTime(startMillis);
            intervalLog.outputLegend();
        }
        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tokentap-loadgen-report");
            t.setDaemon(true);
            return t;
        });
        reporter.scheduleAtFixedRate(this::tick, 1, 1, TimeUnit.SECONDS);
        long runStart = nanoTime.getAsLong();
        long deadline = runStart + plan.maxDuration().toNanos();
        RequestBudget budget = new RequestBudget(plan.maxRequests());
        String stopReason = "complete";
        boolean partial = false;
        Well19937c rng = new Well19937c(plan.seed());
        try {
            int index = 0;
            for (StageSpec stage = source.next(result.stages()); stage != null; stage = source.next(result.stages())) {
                index++;
                if (interrupted.getCount() == 0) {
                    stopReason = "interrupted";
                    partial = true;
                    break;
                }
                if (nanoTime.getAsLong() >= deadline) {
                    stopReason = "max duration";
                    partial = true;
                    break;
                }
                if (budget.exhausted()) {
                    stopReason = "max requests";
                    partial = true;
                    break;
                }
                StageStats stats = new StageStats(stage.name(), stage.type(), stage.loadLabel(),
                        stage.model() == LoadModel.REPLAY ? stage.speedup() : stage.profile().peak());
                StageRecorder rec = new StageRecorder(stats, plan.slo());
                synchronized (open) {
                    open.add(rec);
                }
                boolean warm = warmupMax != null && stage.model() != LoadModel.REPLAY;
                if (warm && !stage.profile().isConstant()) {
                    throw new IllegalArgumentException(stage.name() + ": a warm-up needs a stage of constant load");
                }
                Schedule schedule = switch (stage.model()) {
                    // With a warm-up, arrivals go on at the stage's rate through it and the measured window.
                    case OPEN -> new OpenSchedule(warm ? stage.profile().lengthened(warmupMax.plus(
                            stage.profile().duration().multipliedBy(LoadExecutor.HOLD_STRETCH - 1))) : stage.profile(),
                            stage.arrival(), stage.gammaShape(), new Well19937c(rng.nextLong()));
                    case REPLAY -> new ReplaySchedule(offsets(), stage.speedup());
                    case CLOSED -> null;
                };
                currentRecorder = rec;
                String label = (knownStages > 0 ? index + "/" + knownStages : "level " + index) + " " + stage.name()
                        + " " + stage.loadLabel();
                long stageStart = nanoTime.getAsLong();
                currentStageStart = stageStart;
                currentStageLength = stage.model() == LoadModel.REPLAY ? replayLength() : stage.profile().duration().toNanos();
                Warmup warmup = !warm ? null
                        : new Warmup(warmupMin, warmupMax, warmupMinRequests, new StageRecorder(new StageStats(stage.name(), "warmup",
                                stage.loadLabel(), stage.profile().peak()), plan.slo()));
                currentStage = warmup == null ? label : label + " (warm-up)";
                progress.accept("stage " + label + " for " + Durations.format(Duration.ofNanos(currentStageLength))
                        + (warmup == null ? "" : " after a warm-up of " + Durations.format(warmupMin) + " to "
                                + Durations.format(warmupMax)));
                AtomicLong cpuFrom = new AtomicLong(ProcessCpu.nanos());
                if (warmup != null) {
                    warmup.ended().thenAccept(at -> {
                        // The measured window starts now: the stage's length, the progress bar, the client's CPU and
                        // the server figures count from here.
                        cpuFrom.set(ProcessCpu.nanos());
                        currentStageStart = at;
                        currentStage = label;
                        if (sampler != null) {
                            sampler.discard();
                        }
                    });
                }
                CompletableFuture<String> done = executor.runStage(stage, schedule, workload, rec, budget, deadline,
                        warmup);
                if (interrupted.getCount() == 0) {
                    // Ctrl-C came between two stages: stop this one at once.
                    executor.stopStage();
                }
                String reason = await(done);
                long measuredFrom = warmup == null ? stageStart : warmup.ended().getNow(nanoTime.getAsLong());
                stats.durationSeconds(Math.max(0, nanoTime.getAsLong() - measuredFrom) / 1e9);
                long cpuTo = ProcessCpu.nanos();
                if (cpuTo >= 0 && cpuFrom.get() >= 0) {
                    stats.clientCpuSeconds((cpuTo - cpuFrom.get()) / 1e9);
                }
                if (sampler != null) {
                    sampler.finishStage(stats);
                }
                result.stages().add(stats);
                if (warmup != null) {
                    // This stage's requests end before the next one starts, and what they measured is drained, so
                    // the source sees the whole stage when it picks the next.
                    if (!executor.awaitIdle(graceAfterStage())) {
                        executor.cancelAll();
                        executor.awaitIdle(Duration.ofSeconds(5));
                    }
                    drainAll();
                    clientCheck.apply(stats);
                    warmup.recorder().drain((m, h) -> { });
                    warmup.recorder().stats().durationSeconds(Math.max(0, measuredFrom - stageStart) / 1e9);
                    result.warmups().add(warmup.recorder().stats());
                }
                if (!reason.equals("stage complete") && !reason.equals("replay complete")) {
                    // A limit, the end of a finite workload, or Ctrl-C: later stages do not run.
                    stopReason = reason;
                    partial = !reason.equals("workload exhausted");
                    break;
                }
            }
            // Let the last requests finish, within the request timeout (at most 30 s); on Ctrl-C or at the run's
            // time limit, cancel them: the limit is a hard one.
            Duration grace = graceAfterStage();
            long untilDeadline = Math.max(0, deadline - nanoTime.getAsLong());
            boolean deadlineFirst = untilDeadline < grace.toNanos();
            if (deadlineFirst) {
                grace = Duration.ofNanos(untilDeadline);
            }
            if (interrupted.getCount() == 0 || stopReason.equals("max duration")) {
                executor.cancelAll();
                executor.awaitIdle(Duration.ofSeconds(5));
            } else if (!executor.awaitIdle(grace)) {
                executor.cancelAll();
                executor.awaitIdle(Duration.ofSeconds(5));
                if (deadlineFirst) {
                    stopReason = "max duration";
                    partial = true;
                }
            }
        } finally {
            reporter.shutdownNow();
            reporter.awaitTermination(5, TimeUnit.SECONDS);
        }
        drainAll();
        for (StageStats s : result.stages()) {
            // Classes first seen after the stage ended get its length too.
            s.durationSeconds(s.durationSeconds());
            clientCheck.apply(s);
        }
        result.stopped(partial || interrupted.getCount() == 0, interrupted.getCount() == 0 ? "interrupted" : stopReason);
        if (liveLine) {
            progress.accept("");
        }
        if (outDir != null) {
            intervalLog.close();
            new ResultsJson(mapper).write(result, outDir.resolve("results.json"));
            new ResultsCsv().write(result, outDir.resolve("results.csv"));
        }
        return result;
    }

    /** How long the last requests of a stage may take to end: the request timeout plus 1 s, at most 30 s. */
    private Duration graceAfterStage() {
        Duration grace = plan.client().timeout().plusSeconds(1);
        return grace.compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : grace;
    }

    private String await(CompletableFuture<String> done) throws InterruptedException {
        try {
            return done.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("stage failed", e.getCause());
        }
    }

    private long[] offsets() {
        long[] o = workload.recordedOffsetsNanos();
        if (o == null) {
            throw new IllegalArgumentException("replay needs recorded times (a capture file or a Mooncake trace)");
        }
        return o;
    }

    private long replayLength() {
        long[] o = offsets();
        return o.length == 0 ? 0 : Math.round(o[o.length - 1] / replaySpeedup);
    }

    private void tick() {
        try {
            drainAll();
            if (sampler != null) {
                sampler.sample();
            }
            long now = nanoTime.getAsLong();
            if (liveLine || now - lastProgressNanos >= 5_000_000_000L) {
                lastProgressNanos = now;
                progress.accept(progressLine(now));
                intervalTokens = 0;
                intervalRequests = 0;
                intervalTtft.reset();
            }
        } catch (RuntimeException e) {
            progress.accept("progress report failed: " + e);
        }
    }

    private String progressLine(long now) {
        long elapsed = now - currentStageStart;
        long eta = Math.max(0, currentStageLength - elapsed);
        String ttft = intervalTtft.getTotalCount() == 0 ? "-"
                : String.format(Locale.ROOT, "%.0f ms", intervalTtft.getValueAtPercentile(95) / 1000.0);
        double secs = liveLine ? 1 : 5;
        StageRecorder rec = currentRecorder;
        String bar = "";
        if (liveLine && currentStageLength > 0) {
            int filled = (int) Math.min(20, 20 * elapsed / currentStageLength);
            bar = "[" + "#".repeat(filled) + "-".repeat(20 - filled) + "] ";
        }
        return bar + String.format(Locale.ROOT, "[%s] %s elapsed, ETA %s | done %d, in flight %d | ttft p95 %s | %.0f tok/s | %.1f req/s",
                currentStage, Durations.format(Duration.ofSeconds(elapsed / 1_000_000_000L)),
                Durations.format(Duration.ofSeconds(eta / 1_000_000_000L)), doneRequests,
                rec == null ? 0 : executor.inFlight(), ttft, intervalTokens / secs, intervalRequests / secs);
    }

    private synchronized void drainAll() {
        List<StageRecorder> recs;
        synchronized (open) {
            recs = new ArrayList<>(open);
        }
        int idx = 0;
        for (StageRecorder r : recs) {
            idx++;
            String prefix = "s" + idx + ".";
            long before = r.stats().outputTokens();
            long reqBefore = r.stats().requests();
            r.drain((m, h) -> {
                if (m == LoadMetric.TTFT) {
                    intervalTtft.add(h);
                }
                if (intervalLog != null && h.getTotalCount() > 0) {
                    h.setTag(prefix + m.key());
                    intervalLog.outputIntervalHistogram(h);
                }
            });
            intervalTokens += r.stats().outputTokens() - before;
            intervalRequests += r.stats().requests() - reqBefore;
            doneRequests += r.stats().requests() - reqBefore;
        }
    }
}
