package io.tokentap.loadgen;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.tokentap.loadgen.exec.ExecutorSettings;
import io.tokentap.loadgen.exec.LoadExecutor;
import io.tokentap.loadgen.exec.RequestBodies;
import io.tokentap.loadgen.exec.Target;
import io.tokentap.loadgen.plan.Plan;
import io.tokentap.loadgen.result.ConsoleTable;
import io.tokentap.loadgen.result.RunResult;
import io.tokentap.loadgen.run.LoadRun;
import io.tokentap.loadgen.server.ServerSampler;
import io.tokentap.loadgen.workload.Workload;
import io.tokentap.loadgen.analysis.SweepAnalysis;
import io.tokentap.loadgen.analysis.results.ResultFile;
import io.tokentap.loadgen.analysis.results.ResultFormatException;
import io.tokentap.loadgen.report.AnalysisText;
import io.tokentap.loadgen.report.ReportWriter;
import io.tokentap.loadgen.report.Timeline;
import io.tokentap.net.Transports;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalDouble;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Wires a run for {@code run} and {@code replay}: event loops, executor, optional server sampling, a Ctrl-C hook
 * that ends the run with a partial report, the console table, and the exit code.
 */
final class LoadLauncher {

    private LoadLauncher() {
    }

    /** What the run does with its {@link LoadRun}: a plan's stages, or a sweep's levels. */
    @FunctionalInterface
    interface Body {
        RunResult run(LoadRun run, String target) throws Exception;
    }

    /** Runs the plan's stages and writes the default report. */
    static int launch(Plan plan, Workload workload, LoadOptions o, double replaySpeedup, ObjectMapper mapper,
                      PrintWriter out, PrintWriter err) throws Exception {
        return launch(plan, workload, o, replaySpeedup, mapper, out, err, LoadRun::run, ReportWriter.defaults(),
                false);
    }

    /**
     * Wires and runs {@code body}, prints the console table, and (unless {@code --no-report}) analyses the result and
     * writes the HTML report.
     *
     * @param printAnalysis print the curve table, the breaking point and the recommendations too (sweeps)
     */
    static int launch(Plan plan, Workload workload, LoadOptions o, double replaySpeedup, ObjectMapper mapper,
                      PrintWriter out, PrintWriter err, Body body, ReportWriter reporter, boolean printAnalysis)
            throws Exception {
        Target target = Target.parse(o.target);
        ExecutorSettings settings = new ExecutorSettings(target, plan.client(), new RequestBodies(mapper, o.ignoreEos),
                System::nanoTime);
        EventLoopGroup connections = new MultiThreadIoEventLoopGroup(plan.client().eventLoops(),
                Transports.ioHandlerFactory());
        // The dispatcher only runs timers. NIO's selector sleeps in whole milliseconds, so an arrival due between two
        // of them is sent up to a millisecond late: the schedule lag's floor. Epoll's timerfd wakes to the microsecond.
        EventLoopGroup dispatch = new MultiThreadIoEventLoopGroup(1, Transports.ioHandlerFactory());
        boolean tty = System.console() != null;
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = null;
        try {
            LoadExecutor executor = new LoadExecutor(settings, connections, dispatch.next());
            LoadRun run = new LoadRun(plan, workload, executor, System::nanoTime, o.out, mapper, line -> {
                if (tty) {
                    // One live line, redrawn in place.
                    err.print("\r\033[K" + line);
                } else if (!line.isEmpty()) {
                    err.println(line);
                }
                err.flush();
            }, tty, replaySpeedup);
            run.pricing(new io.tokentap.loadgen.result.RunResult.Pricing(o.priceInput, o.priceOutput));
            if (o.maxClientLag != null) {
                run.clientCheck(new io.tokentap.loadgen.run.ClientCheck(o.maxClientLag.toNanos() / 1e6));
            }
            if (o.metricsUrl != null) {
                run.sampling(new ServerSampler(HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build(),
                        URI.create(o.metricsUrl), Duration.ofMillis(800)));
            }
            hook = new Thread(() -> {
                run.interrupt();
                try {
                    // Give the run time to cancel what is running and write the partial report.
                    finished.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "tokentap-loadgen-interrupt");
            Runtime.getRuntime().addShutdownHook(hook);
            err.println("target " + target + ", plan " + plan.name() + " (" + plan.stages().size() + " stages, limit "
                    + io.tokentap.loadgen.config.Durations.format(plan.maxDuration()) + " / " + plan.maxRequests()
                    + " requests), workload " + workload.describe());
            err.flush();
            RunResult result = body.run(run, target.toString());
            executor.close();
            out.println();
            out.print(new ConsoleTable().render(result));
            if (o.out != null) {
                out.println("results: " + o.out.resolve("results.json") + ", " + o.out.resolve("results.csv") + ", "
                        + o.out.resolve("intervals.hlog"));
            }
            out.flush();
            if (!o.noReport || printAnalysis) {
                report(result, o, reporter, printAnalysis, out, err);
            }
            if (o.minGoodput != null) {
                double g = result.total().goodputPercent();
                if (g < o.minGoodput) {
                    err.println(String.format(Locale.ROOT, "FAIL: goodput %.1f%% < %.1f%%", g, o.minGoodput));
                    err.flush();
                    return 1;
                }
            }
            return 0;
        } finally {
            finished.countDown();
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // The JVM is already exiting (Ctrl-C): the hook is running and now released.
                }
            }
            connections.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            dispatch.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        }
    }

    /**
     * Analyses the result, prints the analysis when asked, and writes the HTML report unless {@code --no-report}; a
     * result with nothing to analyse gets a message, not a failure.
     */
    private static void report(RunResult result, LoadOptions o, ReportWriter reporter, boolean printAnalysis,
                               PrintWriter out, PrintWriter err) {
        Path html = o.report != null ? o.report : o.out.resolve("report.html");
        try {
            OptionalDouble target = o.targetRps == null ? OptionalDouble.empty() : OptionalDouble.of(o.targetRps);
            SweepAnalysis analysis;
            if (o.noReport) {
                analysis = reporter.analyze(ResultFile.of(result), target);
            } else {
                Path log = o.out.resolve("intervals.hlog");
                Optional<Timeline> timeline = Files.isRegularFile(log) ? Optional.of(Timeline.read(log))
                        : Optional.empty();
                analysis = reporter.write(ResultFile.of(result), html, target, timeline);
            }
            if (printAnalysis) {
                out.println();
                out.print(AnalysisText.curveTable(analysis));
                out.println();
                out.print(AnalysisText.recommendations(analysis));
            }
            if (!o.noReport) {
                out.println("report: " + html);
            }
        } catch (ResultFormatException e) {
            err.println("no report: " + e.getMessage());
        } catch (IOException e) {
            err.println("no report: cannot write " + html + ": " + e.getMessage());
        }
        out.flush();
        err.flush();
    }
}
