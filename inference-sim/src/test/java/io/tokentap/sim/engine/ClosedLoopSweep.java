package io.tokentap.sim.engine;

import io.tokentap.sim.profile.Profile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A closed-loop load test against the engine in virtual time: {@code concurrency} users, each sending its next
 * request as soon as the last one ends (after Retry-After when rejected). Users start spread over a ramp, so the
 * level measures a steady state rather than one synchronised burst.
 */
public final class ClosedLoopSweep {

    /** The workload: prompt and output lengths. */
    public record Workload(int promptMin, int promptMax, int maxTokens, boolean ignoreEos, double rampSeconds) {}

    /** One row of the table. */
    public record Level(int concurrency, int requests, double throughput, double ttftP50, double ttftP95,
            double ttftP99, double errorPct, long preemptions) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "| %d | %,.0f | %.0f ms | %.0f ms | %.0f ms | %.1f%% | %d |",
                    concurrency, throughput, ttftP50 * 1e3, ttftP95 * 1e3, ttftP99 * 1e3, errorPct, preemptions);
        }
    }

    private final Profile profile;
    private final Workload workload;
    private final long seed;

    public ClosedLoopSweep(Profile profile, Workload workload, long seed) {
        this.profile = profile;
        this.workload = workload;
        this.seed = seed;
    }

    /** Runs one level until {@code requests} requests (successes and errors) have ended. */
    public Level run(int concurrency, int requests) {
        VirtualExecutor ex = new VirtualExecutor();
        SplittableRandom rnd = new SplittableRandom(seed + concurrency);
        Engine engine = new Engine(profile, ex, EngineListener.NOOP, new SplittableRandom(seed * 31 + concurrency), 1.0);
        List<Double> ttfts = new ArrayList<>();
        long[] counters = new long[4]; // started, ended, errors, tokens in the window
        long rampEnd = (long) (workload.rampSeconds() * 1e9);
        long[] windowEnd = {Long.MAX_VALUE};
        class User {
            void next() {
                if (counters[0] >= requests) {
                    return;
                }
                counters[0]++;
                long start = ex.nanoTime();
                if (counters[0] == requests) {
                    windowEnd[0] = start; // from here on, users run out of work: the steady state is over
                }
                int prompt = workload.promptMin() + rnd.nextInt(workload.promptMax() - workload.promptMin() + 1);
                engine.submit(new SimRequest("r" + counters[0], prompt, workload.maxTokens(), workload.ignoreEos(),
                        new TokenSink() {
                            @Override
                            public void onAccepted() {}

                            @Override
                            public void onRejected(int status, int retryAfterSeconds) {
                                counters[1]++;
                                counters[2]++;
                                ex.schedule(User.this::next, retryAfterSeconds * 1_000_000_000L);
                            }

                            @Override
                            public void onToken(int index, FinishReason finish) {
                                long now = ex.nanoTime();
                                if (now >= rampEnd && now <= windowEnd[0]) {
                                    counters[3]++;
                                }
                                if (index == 0) {
                                    ttfts.add((ex.nanoTime() - start) / 1e9);
                                }
                                if (finish != null) {
                                    counters[1]++;
                                    ex.execute(User.this::next);
                                }
                            }
                        }));
            }
        }
        for (int i = 0; i < concurrency; i++) {
            User u = new User();
            long delay = (long) (rnd.nextDouble() * workload.rampSeconds() * 1e9);
            ex.schedule(u::next, delay);
        }
        ex.runAll();
        double[] t = ttfts.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (windowEnd[0] <= rampEnd) {
            throw new IllegalArgumentException(requests + " requests end before the ramp does (expected: more)");
        }
        double seconds = (windowEnd[0] - rampEnd) / 1e9;
        return new Level(concurrency, (int) counters[1], counters[3] / seconds, pct(t, 50), pct(t, 95), pct(t, 99),
                100.0 * counters[2] / counters[1], engine.preemptions());
    }

    private static double pct(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static String header() {
        return "| concurrency | throughput (tok/s) | TTFT p50 | TTFT p95 | TTFT p99 | errors | preemptions |\n"
                + "|---|---|---|---|---|---|---|";
    }

    static double[] toArray(List<Double> l) {
        return l.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static String join(double[] a) {
        return Arrays.toString(a);
    }
}
