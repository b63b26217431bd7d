package io.tokentap.loadgen.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.tokentap.loadgen.plan.ClientSpec;
import io.tokentap.core.timeline.Slo;
import io.tokentap.loadgen.plan.StageSpec;
import io.tokentap.loadgen.result.LoadMetric;
import io.tokentap.loadgen.result.RequestOutcome;
import io.tokentap.loadgen.result.StageRecorder;
import io.tokentap.loadgen.result.StageStats;
import io.tokentap.loadgen.run.ClientCheck;
import io.tokentap.loadgen.schedule.ArrivalProcess;
import io.tokentap.loadgen.schedule.LoadProfile;
import io.tokentap.loadgen.schedule.OpenSchedule;
import io.tokentap.loadgen.testing.ScriptedUpstream;
import io.tokentap.loadgen.workload.ChatBodies;
import io.tokentap.loadgen.workload.LengthDistribution;
import io.tokentap.loadgen.workload.SyntheticWorkload;
import io.tokentap.loadgen.workload.TokenText;
import io.tokentap.loadgen.workload.Workload;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.apache.commons.math3.random.Well19937c;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ExecutorTest {

    static final ObjectMapper MAPPER = new ObjectMapper();
    static TokenText text;

    ScriptedUpstream upstream;
    EventLoopGroup connections;
    EventLoopGroup dispatch;

    @BeforeAll
    static void tokenizer() {
        text = new TokenText();
    }

    @BeforeEach
    void start() throws Exception {
        upstream = new ScriptedUpstream();
        connections = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        dispatch = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterEach
    void stop() {
        connections.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        dispatch.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        upstream.close();
    }

    private Workload workload(int promptTokens, int outputTokens, SyntheticWorkload.Sessions sessions) {
        return new SyntheticWorkload(List.of(new SyntheticWorkload.RequestClass("c", 1,
                LengthDistribution.fixed(promptTokens), LengthDistribution.fixed(outputTokens))), sessions, "m", 0,
                text, new ChatBodies(MAPPER), new Well19937c(1));
    }

    private LoadExecutor executor(ClientSpec client) {
        ExecutorSettings s = new ExecutorSettings(Target.parse(upstream.url()), client,
                new RequestBodies(MAPPER, false), System::nanoTime);
        return new LoadExecutor(s, connections, dispatch.next());
    }

    private static ClientSpec client(int maxConnections, Duration timeout, long abortAfterTokens) {
        return new ClientSpec(timeout, abortAfterTokens, Duration.ZERO, Duration.ZERO, maxConnections, 10_000,
                Map.of(), "x-api-key", List.of("k1", "k2"), 1);
    }

    private static StageRecorder recorder(StageSpec stage) {
        return new StageRecorder(new StageStats(stage.name(), stage.type(), stage.loadLabel()),
                new Slo(Duration.ofMillis(200), null, null, null));
    }

    private static StageStats run(LoadExecutor ex, StageSpec stage, Workload w, long maxRequests) throws Exception {
        StageRecorder rec = recorder(stage);
        var schedule = stage.model() == io.tokentap.loadgen.plan.LoadModel.OPEN
                ? new OpenSchedule(stage.profile(), stage.arrival(), 1, new Well19937c(3)) : null;
        long start = System.nanoTime();
        ex.runStage(stage, schedule, w, rec, new RequestBudget(maxRequests), start + TimeUnit.SECONDS.toNanos(30))
                .get(30, TimeUnit.SECONDS);
        assertThat(ex.awaitIdle(Duration.ofSeconds(10))).isTrue();
        rec.drain((m, h) -> { });
        rec.stats().durationSeconds((System.nanoTime() - start) / 1e9);
        ex.close();
        return rec.stats();
    }

    @Test
    void closedModelKeepsNStreamsOnReusedConnections() throws Exception {
        upstream.ttftMillis = 20;
        upstream.itlMillis = 3;
        LoadExecutor ex = executor(client(100, Duration.ofSeconds(10), 0));
        StageStats s = run(ex, StageSpec.closed("c4", 4, Duration.ofMillis(1500)), workload(20, 10, null), 1_000_000);
        // At least two requests per stream, so connections were reused (the count is low on a busy machine).
        assertThat(s.count(RequestOutcome.OK)).isGreaterThanOrEqualTo(8);
        assertThat(s.errors()).isZero();
        assertThat(upstream.maxConcurrent.get()).isEqualTo(4);
        assertThat(upstream.connections.get()).isEqualTo(4);
        assertThat(ex.connectionsOpened()).isEqualTo(4);
        // The role-only first chunk (sent at once) does not count: TTFT is at least the server's 20 ms; ITL its 3 ms.
        // Upper bounds are loose: the machine is shared.
        assertThat(s.millis(LoadMetric.TTFT, 50)).isBetween(19.9, 1000.0);
        assertThat(s.millis(LoadMetric.ITL, 50)).isBetween(2.9, 500.0);
        assertThat(s.histogram(LoadMetric.ITL).getTotalCount()).isEqualTo(9 * s.count(RequestOutcome.OK));
        assertThat(s.outputTokens()).isEqualTo(10 * s.count(RequestOutcome.OK));
        assertThat(s.inputTokens()).isEqualTo(7 * s.count(RequestOutcome.OK));
        JsonNode body = upstream.bodies.peek();
        assertThat(body.get("stream").asBoolean()).isTrue();
        assertThat(body.get("stream_options").get("include_usage").asBoolean()).isTrue();
        assertThat(body.get("max_tokens").asInt()).isEqualTo(10);
        assertThat(upstream.tenantKeys).contains("k1", "k2");
    }

    /**
     * With several connection loops, a closed user's next request goes out on the loop its last one ended on: no
     * thread hop, and its keep-alive connection is the one it takes again, so no loop opens connections the other
     * already holds.
     */
    @Test
    void aClosedUserStaysOnItsLoop() throws Exception {
        connections.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        connections = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        upstream.ttftMillis = 2;
        upstream.itlMillis = 1;
        LoadExecutor ex = executor(client(100, Duration.ofSeconds(10), 0));
        StageStats s = run(ex, StageSpec.closed("c6", 6, Duration.ofMillis(3000)), workload(20, 5, null), 1_000_000);
        // Several requests per user (hundreds on an idle machine, far fewer on a busy one), each user's after the
        // first on a reused connection.
        assertThat(s.count(RequestOutcome.OK)).isGreaterThanOrEqualTo(18);
        assertThat(s.errors()).isZero();
        assertThat(ex.connectionsOpened()).isEqualTo(6);
        assertThat(upstream.connections.get()).isEqualTo(6);
    }

    /**
     * During a warm-up the loops' lateness goes to the warm-up's recorder, as its requests' figures do: a stall then
     * (the JVM compiling, 10,000 connections opening) is not the measured stage's, nor its client-bound check's.
     */
    @Test
    void loopLagDuringTheWarmUpIsLeftOutOfTheStage() throws Exception {
        upstream.ttftMillis = 2;
        upstream.itlMillis = 1;
        LoadExecutor ex = executor(client(100, Duration.ofSeconds(10), 0));
        StageSpec stage = StageSpec.closed("c2", 2, Duration.ofMillis(1000));
        StageRecorder rec = recorder(stage);
        StageRecorder warm = recorder(stage);
        Warmup warmup = new Warmup(Duration.ofMillis(1000), Duration.ofSeconds(5), 0, warm);
        var done = ex.runStage(stage, null, workload(20, 5, null), rec, new RequestBudget(1_000_000),
                System.nanoTime() + TimeUnit.SECONDS.toNanos(30), warmup);
        connections.next().execute(() -> {
            try {
                Thread.sleep(400); // the stall: the connection loop does nothing else for 400 ms
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        done.get(30, TimeUnit.SECONDS);
        assertThat(ex.awaitIdle(Duration.ofSeconds(10))).isTrue();
        ex.close();
        warm.drain((m, h) -> { });
        rec.drain((m, h) -> { });
        assertThat(warmup.ended()).isDone();
        assertThat(warm.stats().histogram(LoadMetric.LOOP_LAG).getMaxValue()).isGreaterThan(300_000); // µs
        assertThat(rec.stats().histogram(LoadMetric.LOOP_LAG).getTotalCount()).isPositive();
        assertThat(rec.stats().histogram(LoadMetric.LOOP_LAG).getMaxValue()).isLessThan(300_000);
        assertThat(rec.stats().count(RequestOutcome.OK)).isPositive();
    }

    @Test
    void closedStagesHandTheirUsersOnInsteadOfStackingThemAtTheBoundary() throws Exception {
        // About 320 ms a request, longer than the gap any stage leaves: every boundary falls with requests in flight.
        upstream.ttftMillis = 20;
        upstream.itlMillis = 30;
        LoadExecutor ex = executor(client(100, Duration.ofSeconds(10), 0));
        Workload w = workload(5, 10, null);
        List<StageSpec> stages = List.of(StageSpec.closed("c2", 2, Duration.ofMillis(500)),
                StageSpec.closed("c4", 4, Duration.ofMillis(800)), StageSpec.closed("c1", 1, Duration.ofMillis(800)));
        List<StageRecorder> recs = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (StageSpec stage : stages) {
            // Back to back, as a plan without warm-ups runs them: the next stage starts when this one stops sending.
            StageRecorder rec = recorder(stage);
            ex.runStage(stage, null, w, rec, new RequestBudget(1_000_000), deadline).get(30, TimeUnit.SECONDS);
            recs.add(rec);
        }
        assertThat(ex.awaitIdle(Duration.ofSeconds(10))).isTrue();
        recs.forEach(r -> r.drain((m, h) -> { }));
        ex.close();
        // The users still finishing their last request of a stage count toward the next stage's level: the server
        // never sees the two stages' users at once (2 + 4 = 6 at the first boundary, 4 + 1 = 5 at the second).
        assertThat(upstream.maxConcurrent.get()).isEqualTo(4);
        for (StageRecorder rec : recs) {
            StageStats s = rec.stats();
            assertThat(s.errors()).as(s.name()).isZero();
            assertThat(s.count(RequestOutcome.OK)).as(s.name()).isPositive();
        }
    }

    @Test
    void openModelLatencyCountsFromTheIntendedStartWhenTheServerStalls() throws Exception {
        upstream.ttftMillis = 5;
        upstream.itlMillis = 1;
        // One connection: while the server stalls the first request, the ones due behind it wait in the client.
        LoadExecutor ex = executor(client(1, Duration.ofSeconds(10), 0));
        upstream.stallUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        StageStats s = run(ex, StageSpec.open("r20", 20, ArrivalProcess.CONSTANT, Duration.ofMillis(1000)),
                workload(10, 5, null), 1_000_000);
        assertThat(s.count(RequestOutcome.OK)).isEqualTo(20);
        Histogram ttft = s.histogram(LoadMetric.TTFT);
        Histogram service = s.histogram(LoadMetric.SERVICE_TTFT);
        // The stall is in TTFT: the first request waited ~475 ms, those due during the stall queued behind it.
        assertThat(ttft.getMaxValue()).isGreaterThan(350_000);
        long slowFromIntended = ttft.getCountBetweenValues(150_000, 10_000_000);
        assertThat(slowFromIntended).isGreaterThanOrEqualTo(5);
        // Measured from the actual send, the queued requests look fast: only the stalled one is slow (a little
        // slack for a busy machine).
        assertThat(service.getCountBetweenValues(150_000, 10_000_000)).isLessThanOrEqualTo(slowFromIntended - 3);
        // The client itself was on time, relative to the stall.
        assertThat(s.millis(LoadMetric.SCHEDULE_LAG, 99)).isLessThan(200);
        assertThat(s.histogram(LoadMetric.LOOP_LAG).getTotalCount()).isGreaterThan(10);
        // Goodput (TTFT ≤ 200 ms) excludes the stalled ones.
        assertThat(s.goodRequests()).isLessThan(20);
    }

    @Test
    void errorClassesAreKeptApart() throws Exception {
        upstream.status = 429;
        StageStats s = run(executor(client(10, Duration.ofSeconds(5), 0)),
                StageSpec.open("r", 50, ArrivalProcess.CONSTANT, Duration.ofMillis(200)), workload(5, 5, null), 1000);
        assertThat(s.count(RequestOutcome.RATE_LIMITED)).isEqualTo(10);
        assertThat(s.histogram(LoadMetric.TTFT).getTotalCount()).isZero();
    }

    @Test
    void overloadIsNotRateLimiting() throws Exception {
        upstream.status = 503;
        StageStats s = run(executor(client(10, Duration.ofSeconds(5), 0)),
                StageSpec.open("r", 50, ArrivalProcess.CONSTANT, Duration.ofMillis(100)), workload(5, 5, null), 1000);
        assertThat(s.count(RequestOutcome.OVERLOADED)).isEqualTo(5);
        assertThat(s.count(RequestOutcome.RATE_LIMITED)).isZero();
    }

    @Test
    void timeoutAndAbortAfterTokens() throws Exception {
        upstream.ttftMillis = 2000;
        StageStats t = run(executor(client(10, Duration.ofMillis(200), 0)),
                StageSpec.open("r", 20, ArrivalProcess.CONSTANT, Duration.ofMillis(200)), workload(5, 5, null), 1000);
        assertThat(t.count(RequestOutcome.TIMEOUT)).isEqualTo(4);

        upstream.ttftMillis = 5;
        upstream.itlMillis = 5;
        StageStats a = run(executor(client(10, Duration.ofSeconds(5), 3)),
                StageSpec.closed("c", 2, Duration.ofSeconds(20)), workload(5, 50, null), 6);
        assertThat(a.count(RequestOutcome.CLIENT_CANCEL)).isEqualTo(6);
        assertThat(a.count(RequestOutcome.OK)).isZero();
        assertThat(a.errors()).isZero();
        // Each cancelled stream was cut after its 3rd token (2 gaps; more only when one read held several tokens).
        assertThat(a.histogram(LoadMetric.ITL).getTotalCount()).isGreaterThanOrEqualTo(2 * 6).isLessThan(49 * 6);
    }

    @Test
    void abortAfterATime() throws Exception {
        upstream.ttftMillis = 5;
        upstream.itlMillis = 20;   // 50 tokens: 1 s per stream
        ClientSpec c = new ClientSpec(Duration.ofSeconds(10), 0, Duration.ofMillis(150), Duration.ZERO, 10, 100,
                Map.of(), null, List.of(), 1);
        StageStats s = run(executor(c), StageSpec.closed("c", 2, Duration.ofSeconds(20)), workload(5, 50, null), 4);
        assertThat(s.count(RequestOutcome.CLIENT_CANCEL)).isEqualTo(4);
        // Cut after 150 ms of a 1 s stream: at most ~8 of 50 tokens each (20 with slack for a busy machine).
        assertThat(s.outputTokens()).isLessThanOrEqualTo(4L * 20);
        assertThat(s.count(RequestOutcome.OK)).isZero();
    }

    @Test
    void slowReaderStretchesTheStream() throws Exception {
        upstream.ttftMillis = 5;
        upstream.itlMillis = 5;
        ClientSpec slow = new ClientSpec(Duration.ofSeconds(10), 0, Duration.ZERO, Duration.ofMillis(120), 10, 100,
                Map.of(), null, List.of(), 1);
        StageStats s = run(executor(slow), StageSpec.closed("c", 1, Duration.ofSeconds(20)), workload(5, 10, null), 3);
        assertThat(s.count(RequestOutcome.OK)).isEqualTo(3);
        // The server needs ~55 ms per stream; a reader that pauses 120 ms after each read needs at least 120 ms.
        assertThat(s.histogram(LoadMetric.E2E).getMinValue()).isGreaterThanOrEqualTo(115_000);
        assertThat(s.outputTokens()).isEqualTo(30);
    }

    @Test
    void pipelineResultsPerNodeAndPerChain() throws Exception {
        upstream.ttftMillis = 2;
        upstream.itlMillis = 1;
        List<io.tokentap.loadgen.workload.PipelineWorkload.Node> nodes = List.of(
                new io.tokentap.loadgen.workload.PipelineWorkload.Node("router", LengthDistribution.fixed(10),
                        LengthDistribution.fixed(5), null, 0, Duration.ZERO, 1, 0),
                new io.tokentap.loadgen.workload.PipelineWorkload.Node("tool", null, null, LengthDistribution.fixed(20),
                        0, Duration.ZERO, 1, 0),
                new io.tokentap.loadgen.workload.PipelineWorkload.Node("generate", LengthDistribution.fixed(10),
                        LengthDistribution.fixed(10), null, 0, Duration.ZERO, 1, 0));
        Workload w = new io.tokentap.loadgen.workload.PipelineWorkload(nodes, null, "m", text, new ChatBodies(MAPPER),
                new Well19937c(1));
        StageStats s = run(executor(client(10, Duration.ofSeconds(5), 0)),
                StageSpec.closed("c", 2, Duration.ofSeconds(20)), w, 20);
        assertThat(s.count(RequestOutcome.OK)).isEqualTo(20);
        assertThat(s.classes()).containsOnlyKeys("router", "generate");
        // The limit counts calls. The two users' chains drift apart, so the last permits may go to a router whose
        // chain then cannot finish (at most one per user): 10 + 10, 11 + 9 or 12 + 8.
        long routers = s.classes().get("router").count(RequestOutcome.OK);
        long generates = s.classes().get("generate").count(RequestOutcome.OK);
        assertThat(routers + generates).isEqualTo(20);
        assertThat(routers - generates).isBetween(0L, 2L);
        assertThat(s.classes().get("generate").outputTokens()).isEqualTo(10 * generates);
        assertThat(s.classes().get("generate").outputTokensPerSecond()).isEqualTo(10 * generates / s.durationSeconds());
        // Every complete chain: router (7 input + 5 output, as the upstream reports) and generate (7 + 10).
        assertThat(s.chainTokens().getTotalCount()).isEqualTo(generates);
        assertThat(s.chainTokens().getMaxValue()).isEqualTo(29);
        // Each chain waited 20 ms for the tool between its calls.
        assertThat(s.histogram(LoadMetric.CHAIN_E2E).getMinValue()).isGreaterThanOrEqualTo(20_000);
    }

    @Test
    void requestLimitStopsTheStage() throws Exception {
        StageStats s = run(executor(client(10, Duration.ofSeconds(5), 0)),
                StageSpec.closed("c", 3, Duration.ofSeconds(20)), workload(5, 3, null), 25);
        assertThat(s.requests()).isEqualTo(25);
        assertThat(upstream.requests.get()).isEqualTo(25);
    }

    @Test
    void sessionsSendGrowingHistories() throws Exception {
        var sessions = new SyntheticWorkload.Sessions(LengthDistribution.fixed(3), Duration.ofMillis(10),
                LengthDistribution.fixed(4));
        StageStats s = run(executor(client(10, Duration.ofSeconds(5), 0)),
                StageSpec.closed("c", 1, Duration.ofSeconds(20)), workload(5, 6, sessions), 6);
        assertThat(s.count(RequestOutcome.OK)).isEqualTo(6);
        List<Integer> sizes = upstream.bodies.stream().map(b -> b.get("messages").size()).toList();
        assertThat(sizes).containsExactly(1, 3, 5, 1, 3, 5);
    }

    @Test
    void aRefusedClosedUserWaitsTheServersRetryAfter() throws Exception {
        upstream.status = 503;
        upstream.retryAfterMs = "300";
        StageStats s = run(executor(client(10, Duration.ofSeconds(5), 0)),
                StageSpec.closed("c", 2, Duration.ofSeconds(1)), workload(5, 3, null), 1000);
        // Two users, each waiting 300 ms after every refusal: at most 4 requests each in the second, not a storm.
        assertThat(s.count(RequestOutcome.OVERLOADED)).isBetween(2L, 10L);
        assertThat(upstream.requests.get()).isEqualTo((int) s.requests());
    }

    @Test
    void retryAfterIsReadInMillisecondsFirstThenSeconds() {
        var h = new io.netty.handler.codec.http.DefaultHttpHeaders();
        assertThat(StreamClientHandler.retryAfterNanos(h)).isEqualTo(-1);
        h.set("retry-after", "2");
        assertThat(StreamClientHandler.retryAfterNanos(h)).isEqualTo(2_000_000_000L);
        h.set("retry-after-ms", "250.5");
        assertThat(StreamClientHandler.retryAfterNanos(h)).isEqualTo(250_500_000L);
        h.remove("retry-after-ms");
        h.set("retry-after", "Wed, 21 Oct 2026 07:28:00 GMT");
        assertThat(StreamClientHandler.retryAfterNanos(h)).isEqualTo(-1);
    }

    @Test
    void aClientThatCannotKeepUpIsMarkedClientBound() throws Exception {
        upstream.ttftMillis = 2;
        upstream.itlMillis = 1;
        // Another job hogs the client's only connection loop, 25 ms of every 50 ms: the loop's probes run late.
        var hog = connections.next().scheduleAtFixedRate(() -> {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(25);
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
        }, 0, 50, TimeUnit.MILLISECONDS);
        StageStats busy;
        try {
            busy = run(executor(client(100, Duration.ofSeconds(10), 0)),
                    StageSpec.open("r50", 50, ArrivalProcess.CONSTANT, Duration.ofMillis(1000)), workload(10, 5, null),
                    1_000_000);
        } finally {
            hog.cancel(false);
        }
        ClientCheck.DEFAULT.apply(busy);
        assertThat(busy.millis(LoadMetric.LOOP_LAG, 99)).isGreaterThan(5.0);
        assertThat(busy.clientBound()).isTrue();
        assertThat(busy.clientBoundReason()).contains("event-loop lag p99");

        // One connection and a queue of one against a server slower than the rate: requests are dropped in the
        // client, so the stage measured the client's limit, not the server's.
        upstream.ttftMillis = 100;
        StageStats starved = run(executor(new ClientSpec(Duration.ofSeconds(10), 0, Duration.ZERO, Duration.ZERO, 1,
                        1, Map.of(), "x-api-key", List.of("k1"), 1)),
                StageSpec.open("r40", 40, ArrivalProcess.CONSTANT, Duration.ofMillis(500)), workload(10, 5, null),
                1_000_000);
        ClientCheck.DEFAULT.apply(starved);
        assertThat(starved.count(RequestOutcome.DROPPED)).isPositive();
        assertThat(starved.clientBound()).isTrue();
        assertThat(starved.clientBoundReason()).contains("requests dropped");
    }
}
